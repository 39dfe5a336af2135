"""Lineage: the graph of where a dataset version, run or model version came from and led to."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from jupyter_mlops.services.schema.base import Response

LineageKind = Literal[
    "dataset_version", "data", "run", "model_version", "promotion", "pipeline_run"
]


class LineageNode(Response):
    """One thing in a lineage graph."""

    id: str = Field(
        description="the reference naming it: dataset:NAME@N, run:ID, models:/NAME/N, "
        "pipeline_run:ID, promotion:ID or data:DIGEST"
    )
    kind: LineageKind
    label: str = Field(description="one line saying what it is, as the tree shows it")
    link: str | None = Field(
        description="the API path (below API_BASE) of its record, e.g. runs/ID; "
        "null for data outside the registries and deleted runs"
    )
    attrs: dict[str, Any] = Field(description="its details: id, name, version, status, ...")


class LineageEdge(Response):
    """``source`` fed ``target`` (edges point the way data flows)."""

    source: str
    target: str
    relation: str = Field(description="how: a role (training, evaluation), registered, ...")


class LineageGraph(Response):
    """The lineage around ``root``: its ancestors and descendants, in data-flow order."""

    root: str
    nodes: list[LineageNode] = Field(description="the root first, then as they were reached")
    edges: list[LineageEdge]
    truncated: bool = Field(description="the graph stopped growing at its node limit")
