"""The parts of a lineage graph: nodes, edges, the two directions, and walking along edges.

Edges point the way data flows::

    dataset version --training--> run --registered--> model version --promoted--> promotion
    run --produced--> dataset version --evaluation--> run ...
    monitor run --triggered--> pipeline run
    run --reproduced: VERDICT--> the run that re-executed its record

Node ids are the references users type: ``dataset:NAME@N``, ``run:<id>``,
``models:/NAME/N``, ``pipeline_run:<id>``, ``promotion:<event id>`` and ``data:<digest>``
(a file or frame a run used that is not a registered dataset version).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeAlias

Direction: TypeAlias = Literal["upstream", "downstream"]
DIRECTIONS: tuple[Direction, ...] = ("upstream", "downstream")
#: A graph stops growing at this many nodes (and says it was truncated).
MAX_NODES = 1000
NodeKind: TypeAlias = Literal[
    "dataset_version", "data", "run", "model_version", "promotion", "pipeline_run"
]


@dataclass(frozen=True)
class Node:
    """One thing in the graph: ``kind`` says what, ``attrs`` holds its details."""

    id: str
    kind: NodeKind
    label: str
    attrs: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Edge:
    """``source`` fed ``target``; ``relation`` says how (a role, ``registered``, ...)."""

    source: str
    target: str
    relation: str


class NodeLike(Protocol):
    """What drawing a graph needs of a node (a :class:`Node` or its wire record)."""

    @property
    def id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def label(self) -> str: ...


class EdgeLike(Protocol):
    """What walking a graph needs of an edge (an :class:`Edge` or its wire record)."""

    @property
    def source(self) -> str: ...

    @property
    def target(self) -> str: ...

    @property
    def relation(self) -> str: ...


def neighbours(
    edges: Iterable[EdgeLike], node_id: str, direction: Direction
) -> list[tuple[EdgeLike, str]]:
    """The edges one hop ``direction`` of ``node_id``, each with the node at its other end."""
    if direction == "upstream":
        return [(e, e.source) for e in edges if e.target == node_id]
    return [(e, e.target) for e in edges if e.source == node_id]


def reach(edges: Iterable[EdgeLike], root: str, direction: Direction) -> list[str]:
    """Every node id reachable from ``root`` going ``direction`` (``root`` itself excluded)."""
    edges = list(edges)
    seen: dict[str, None] = {}
    stack = [root]
    while stack:
        current = stack.pop()
        for _, other in neighbours(edges, current, direction):
            if other not in seen and other != root:
                seen[other] = None
                stack.append(other)
    return list(seen)
