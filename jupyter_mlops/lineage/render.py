"""Drawing a lineage graph: an indented tree as text or HTML, its edges as a table.

These work on any graph made of node-like and edge-like items, so ``mlops.lineage(x)`` and
a face showing the service's :class:`~jupyter_mlops.services.schema.lineage.LineageGraph`
draw the same tree.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from jupyter_mlops.lineage.graph import (
    DIRECTIONS,
    MAX_NODES,
    Direction,
    EdgeLike,
    NodeLike,
    neighbours,
)

if TYPE_CHECKING:
    import pandas as pd

#: Columns of :func:`edge_frame`.
EDGE_COLUMNS = ["source", "target", "relation", "source_kind", "target_kind"]


def tree(
    edges: Sequence[EdgeLike], root: str, direction: Direction
) -> list[tuple[int, str, str, bool]]:
    """``(depth, node id, relation, already shown)`` going ``direction``, depth first."""
    out: list[tuple[int, str, str, bool]] = []
    shown: set[str] = {root}

    def walk(node_id: str, depth: int) -> None:
        for edge, other in neighbours(edges, node_id, direction):
            repeat = other in shown
            out.append((depth, other, edge.relation, repeat))
            if not repeat:
                shown.add(other)
                walk(other, depth + 1)

    walk(root, 0)
    return out


def tree_text(
    root: str, nodes: Iterable[NodeLike], edges: Sequence[EdgeLike], *, truncated: bool
) -> str:
    """The graph as an indented tree: the root, then its upstream and downstream."""
    by_id = {n.id: n for n in nodes}
    lines = [by_id[root].label]
    for direction in DIRECTIONS:
        items = tree(edges, root, direction)
        lines.append(f"{direction}:" + ("" if items else " (none)"))
        arrow = "<-" if direction == "upstream" else "->"
        for depth, node_id, relation, repeat in items:
            more = " (see above)" if repeat else ""
            label = by_id[node_id].label
            lines.append(f"{'  ' * (depth + 1)}{arrow} [{relation}] {label}{more}")
    if truncated:
        lines.append(f"(truncated at {MAX_NODES} nodes)")
    return "\n".join(lines)


def tree_html(root: str, nodes: Iterable[NodeLike], edges: Sequence[EdgeLike]) -> str:
    """The graph as nested HTML lists: the root, then its upstream and downstream."""
    esc = html.escape
    by_id = {n.id: n for n in nodes}
    parts = [f"<div class='mlops-lineage'><b>{esc(by_id[root].label)}</b>"]
    for direction in DIRECTIONS:
        items = tree(edges, root, direction)
        parts.append(f"<div><i>{direction}</i>")
        depth_open = 0
        for depth, node_id, relation, repeat in items:
            while depth_open <= depth:
                parts.append("<ul>")
                depth_open += 1
            while depth_open > depth + 1:
                parts.append("</ul>")
                depth_open -= 1
            node = by_id[node_id]
            more = " <small>(see above)</small>" if repeat else ""
            parts.append(
                f"<li><code>{esc(relation)}</code> <span class='mlops-{esc(node.kind)}'>"
                f"{esc(node.label)}</span>{more}</li>"
            )
        parts.append("</ul>" * depth_open + ("" if items else " <small>none</small>"))
        parts.append("</div>")
    return "".join(parts) + "</div>"


def edge_frame(nodes: Iterable[NodeLike], edges: Sequence[EdgeLike]) -> pd.DataFrame:
    """The edges as a DataFrame: ``source, target, relation, source_kind, target_kind``."""
    import pandas as pd  # heavy: loaded only when a table of edges is asked for

    kind = {n.id: n.kind for n in nodes}
    return pd.DataFrame(
        {
            "source": [e.source for e in edges],
            "target": [e.target for e in edges],
            "relation": [e.relation for e in edges],
            "source_kind": [kind[e.source] for e in edges],
            "target_kind": [kind[e.target] for e in edges],
        },
        columns=EDGE_COLUMNS,
    )
