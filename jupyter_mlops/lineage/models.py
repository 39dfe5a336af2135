"""Lineage around a model version: the run it was registered from, the promotions it got."""

from __future__ import annotations

from collections.abc import Iterator

from jupyter_mlops.lineage.graph import Edge, Node
from jupyter_mlops.lineage.nodes import promotion_node, run_node
from jupyter_mlops.store.lineage import LineageReader


def model_upstream(reads: LineageReader, node: Node) -> Iterator[tuple[Edge, Node]]:
    """The run the model version was registered from."""
    run_id = node.attrs.get("run_id")
    if run_id:
        rnode = run_node(reads, str(run_id))
        yield Edge(rnode.id, node.id, "registered"), rnode


def model_downstream(reads: LineageReader, node: Node) -> Iterator[tuple[Edge, Node]]:
    """Every promotion to the model version; the latest to a stage it still holds is current."""
    rows = reads.promotions_to(node.attrs["id"])
    held = set(node.attrs.get("stages") or [])
    latest = {r.stage: r.id for r in rows}
    for row in rows:
        current = row.stage in held and latest[row.stage] == row.id
        enode = promotion_node(node.attrs["name"], row, current=current)
        yield Edge(node.id, enode.id, "promoted"), enode
