"""Lineage around a run: the data it read, the data and models it produced."""

from __future__ import annotations

from collections.abc import Iterator

from jupyter_mlops.lineage.graph import Edge, Node
from jupyter_mlops.lineage.nodes import data_node, dataset_node, model_node
from jupyter_mlops.store.lineage import LineageReader


def run_upstream(reads: LineageReader, node: Node) -> Iterator[tuple[Edge, Node]]:
    """The dataset versions linked as the run's inputs, then every file or frame it read.

    A file the run read whose digest is a registered dataset version links to that version.
    """
    run_id = node.attrs["id"]
    linked: dict[str, Node] = {}
    roles: dict[int, list[str]] = {}
    for role, version_id in reads.dataset_links_of_run(run_id, "input"):
        roles.setdefault(version_id, []).append(role)
    if roles:
        for row in reads.dataset_versions_by_id(roles):
            dnode = dataset_node(row)
            linked[row.digest] = dnode
            for role in roles[row.id]:
                yield Edge(dnode.id, node.id, role), dnode
    inputs = reads.run_inputs(run_id)
    digests = sorted({i.digest for i in inputs} - set(linked))
    if digests:
        for row in reads.dataset_versions_by_digest(digests):
            linked.setdefault(row.digest, dataset_node(row))
    for item in inputs:
        target = linked.get(item.digest) or data_node(item.source, item.digest, item.kind)
        yield Edge(target.id, node.id, item.role), target


def run_downstream(reads: LineageReader, node: Node) -> Iterator[tuple[Edge, Node]]:
    """The dataset versions the run produced or output, and the model versions made from it."""
    run_id = node.attrs["id"]
    outputs = {
        version_id: role for role, version_id in reads.dataset_links_of_run(run_id, "output")
    }
    for row in reads.dataset_versions_of_run(run_id, outputs):
        dnode = dataset_node(row)
        yield Edge(node.id, dnode.id, outputs.get(row.id, "produced")), dnode
    for mrow in reads.model_versions_of_run(run_id):
        mnode = model_node(mrow)
        yield Edge(node.id, mnode.id, "registered"), mnode
