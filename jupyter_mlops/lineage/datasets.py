"""Lineage around data: which runs produced a dataset version, which runs read it."""

from __future__ import annotations

from collections.abc import Iterator

from jupyter_mlops.lineage.graph import Edge, Node
from jupyter_mlops.lineage.nodes import run_node
from jupyter_mlops.store.lineage import LineageReader


def dataset_upstream(reads: LineageReader, node: Node) -> Iterator[tuple[Edge, Node]]:
    """The runs that produced the dataset version (linked outputs and its recorded run)."""
    producers = dict(reads.run_links_of_version(node.attrs["id"], "output"))
    if node.attrs.get("run_id"):
        producers.setdefault(str(node.attrs["run_id"]), "produced")
    for run_id, role in sorted(producers.items()):
        rnode = run_node(reads, run_id)
        yield Edge(rnode.id, node.id, role), rnode


def dataset_downstream(reads: LineageReader, node: Node) -> Iterator[tuple[Edge, Node]]:
    """The runs that read the dataset version: linked inputs and reads of the same content."""
    uses = set(reads.run_links_of_version(node.attrs["id"], "input"))
    uses |= set(reads.runs_using_digest(node.attrs["digest"]))
    for run_id, role in sorted(uses):
        rnode = run_node(reads, run_id)
        yield Edge(node.id, rnode.id, role), rnode


def data_downstream(reads: LineageReader, node: Node) -> Iterator[tuple[Edge, Node]]:
    """The runs that read a file or frame with this digest."""
    for run_id, role in reads.runs_using_digest(node.attrs["digest"]):
        rnode = run_node(reads, run_id)
        yield Edge(node.id, rnode.id, role), rnode
