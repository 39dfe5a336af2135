"""What ``mlops.lineage(x)`` returns: the graph around ``x``, printable as a tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_mlops.lineage.graph import Edge, Node, reach
from jupyter_mlops.lineage.render import edge_frame, tree_html, tree_text

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Lineage:
    """A lineage graph around ``root``: ``nodes`` by id and ``edges`` in data-flow direction."""

    root: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    truncated: bool = False

    @property
    def upstream(self) -> list[Node]:
        """Every ancestor of the root."""
        return [self.nodes[i] for i in reach(self.edges, self.root, "upstream")]

    @property
    def downstream(self) -> list[Node]:
        """Every descendant of the root."""
        return [self.nodes[i] for i in reach(self.edges, self.root, "downstream")]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``root``, ``nodes`` (id, kind, label, attrs), ``edges``."""
        return {
            "root": self.root,
            "nodes": [
                {"id": n.id, "kind": n.kind, "label": n.label, "attrs": n.attrs}
                for n in self.nodes.values()
            ],
            "edges": [
                {"source": e.source, "target": e.target, "relation": e.relation} for e in self.edges
            ],
            "truncated": self.truncated,
        }

    def to_frame(self) -> pd.DataFrame:
        """The edges as a DataFrame: ``source, target, relation, source_kind, target_kind``."""
        return edge_frame(self.nodes.values(), self.edges)

    def __str__(self) -> str:
        return tree_text(self.root, self.nodes.values(), self.edges, truncated=self.truncated)

    def _repr_html_(self) -> str:
        return tree_html(self.root, self.nodes.values(), self.edges)
