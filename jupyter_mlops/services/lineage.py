"""Lineage for every face: the graph around a dataset version, run or model version."""

from __future__ import annotations

from urllib.parse import quote

from jupyter_mlops.lineage import Node
from jupyter_mlops.lineage import lineage as trace
from jupyter_mlops.services.schema.lineage import LineageEdge, LineageGraph, LineageNode
from jupyter_mlops.store import Store


def _part(value: object) -> str:
    return quote(str(value), safe="")


def link(node: Node) -> str | None:
    """The API path (below ``API_BASE``) that answers with ``node``'s record, if one does."""
    attrs = node.attrs
    if node.kind == "run":
        return None if attrs.get("deleted") else f"runs/{_part(attrs['id'])}"
    if node.kind == "dataset_version":
        return f"datasets/{_part(attrs['name'])}/{attrs['version']}"
    if node.kind == "model_version":
        return f"models/{_part(attrs['name'])}/versions/{attrs['version']}"
    if node.kind == "promotion":
        return f"models/{_part(attrs['model'])}/promotions"
    if node.kind == "pipeline_run":
        return f"pipelines/runs/{_part(attrs['id'])}"
    return None  # data: a file or frame known only by its digest


def lineage(store: Store | None, ref: str, *, depth: int | None = None) -> LineageGraph:
    """The lineage graph around ``ref``, ``depth`` hops each way (all when None).

    Args:
        store: the store (None: the project's store).
        ref: ``dataset:NAME@N`` (or ``NAME@N``), a run id, short id, name or ``run:ID``,
            ``models:/NAME/N`` (or ``@STAGE``), ``pipeline_run:ID`` or ``data:DIGEST``.
        depth: how many hops to follow each way.

    Raises:
        MlopsUsageError: a malformed reference. NotFoundError: nothing by that reference.
    """
    graph = trace(ref, depth=depth, store=store)
    return LineageGraph(
        root=graph.root,
        nodes=[
            LineageNode(id=n.id, kind=n.kind, label=n.label, link=link(n), attrs=n.attrs)
            for n in graph.nodes.values()
        ],
        edges=[
            LineageEdge(source=e.source, target=e.target, relation=e.relation) for e in graph.edges
        ],
        truncated=graph.truncated,
    )
