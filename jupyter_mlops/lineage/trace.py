"""Tracing: from one node, follow the expanders upstream and downstream into a graph."""

from __future__ import annotations

from typing import Any

from jupyter_mlops.lineage.expanders import EXPANDERS, ExpanderTable
from jupyter_mlops.lineage.graph import DIRECTIONS, MAX_NODES, Edge, Node
from jupyter_mlops.lineage.refs import as_ref, resolve
from jupyter_mlops.lineage.result import Lineage
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store.lineage import reading


def walk(
    store: Store, root: Node, *, depth: int | None = None, expanders: ExpanderTable = EXPANDERS
) -> Lineage:
    """The graph around ``root``: ``depth`` hops each way (all when None) along ``expanders``.

    Stops at :data:`~jupyter_mlops.lineage.graph.MAX_NODES` nodes and marks the graph
    ``truncated``.
    """
    graph = Lineage(root.id, {root.id: root})
    seen_edges: set[Edge] = set()
    with reading(store) as reads:
        for direction in DIRECTIONS:
            frontier, seen, level = [root], {root.id}, 0
            while frontier and (depth is None or level < depth) and not graph.truncated:
                following: list[Node] = []
                for node in frontier:
                    for expander in expanders.get((node.kind, direction), ()):
                        for edge, other in expander(reads, node):
                            if edge not in seen_edges:
                                seen_edges.add(edge)
                                graph.edges.append(edge)
                            graph.nodes.setdefault(other.id, other)
                            if other.id not in seen:
                                seen.add(other.id)
                                following.append(other)
                    if len(graph.nodes) >= MAX_NODES:
                        graph.truncated = True
                        break
                frontier, level = following, level + 1
    return graph


def lineage(x: Any, *, depth: int | None = None, store: Store | None = None) -> Lineage:
    """Trace where ``x`` came from and what it led to.

    Args:
        x: ``"dataset:NAME@N"`` (or ``"NAME@N"``) or a DatasetVersion; a run id, short id,
            name, ``"run:ID"`` or a Run; ``"models:/NAME/N"`` (or ``@STAGE``) or a
            ModelVersion; ``"data:DIGEST"``.
        depth: how many hops to follow each way (default: all).
        store: the store (default: the project's store).

    Returns:
        The graph; ``str()`` prints it as an indented tree, ``to_frame()`` lists its edges.

    Raises:
        MlopsUsageError: a malformed reference. NotFoundError: nothing by that reference.
    """
    ref = as_ref(x)
    store = store or current_store()
    return walk(store, resolve(store, ref), depth=depth)
