"""Lineage of reproductions: a run --reproduced--> the run that re-executed its record.

``jupyter-mlops reproduce`` stores a certificate naming both runs; this follows it both ways,
the relation carrying the verdict (``reproduced: not reproduced`` reads as it should).
"""

from __future__ import annotations

from collections.abc import Iterator

from jupyter_mlops.lineage.graph import Edge, Node
from jupyter_mlops.lineage.nodes import run_node
from jupyter_mlops.store.lineage import LineageReader


def _relation(verdict: str) -> str:
    return f"reproduced: {verdict}"


def reproduced_downstream(reads: LineageReader, node: Node) -> Iterator[tuple[Edge, Node]]:
    """The runs that re-executed this run's record, with their verdicts."""
    for reproduction_id, verdict in reads.reproductions_of(node.attrs["id"]):
        target = run_node(reads, reproduction_id)
        yield Edge(node.id, target.id, _relation(verdict)), target


def reproduced_upstream(reads: LineageReader, node: Node) -> Iterator[tuple[Edge, Node]]:
    """The run this (reproduction) run re-executed, if it is one."""
    found = reads.reproduced_run(node.attrs["id"])
    if found is not None:
        source = run_node(reads, found[0])
        yield Edge(source.id, node.id, _relation(found[1])), source
