"""Lineage of monitors: a monitor run that found drift --triggered--> the pipeline run (retrain).

``mlops.monitor.act(..., trigger=SPEC)`` records the monitor run on the pipeline run it
started (``trigger_run_id``); this follows that link both ways.
"""

from __future__ import annotations

from collections.abc import Iterator

from jupyter_mlops.lineage.graph import Edge, Node
from jupyter_mlops.lineage.nodes import pipeline_run_node, run_node
from jupyter_mlops.store.lineage import LineageReader


def triggered_downstream(reads: LineageReader, node: Node) -> Iterator[tuple[Edge, Node]]:
    """The pipeline runs the (monitor) run triggered."""
    for row in reads.pipeline_runs_triggered_by(node.attrs["id"]):
        target = pipeline_run_node(row)
        yield Edge(node.id, target.id, "triggered"), target


def triggered_upstream(reads: LineageReader, node: Node) -> Iterator[tuple[Edge, Node]]:
    """The monitor run that triggered the pipeline run, if one did."""
    row = reads.pipeline_run(node.attrs["id"])
    if row is not None and row.trigger_run_id:
        source = run_node(reads, row.trigger_run_id)
        yield Edge(source.id, node.id, "triggered"), source
