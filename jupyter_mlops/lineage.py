"""Lineage: where a dataset version, run or model version came from, and what it led to.

``mlops.lineage(x)`` returns a :class:`Lineage` graph around ``x``: its ancestors (upstream)
and descendants (downstream). Edges point the way data flows::

    dataset version --training--> run --registered--> model version --promoted--> promotion
    run --produced--> dataset version --evaluation--> run ...

Node ids are the references users type: ``dataset:NAME@N``, ``run:<id>``,
``models:/NAME/N``, ``promotion:<event id>`` and ``data:<digest>`` (a file or frame a run
used that is not a registered dataset version). Kinds are open: a later feature adds
neighbours with :func:`register_expander` (for example pipeline steps or monitors) and new
references with :func:`register_ref`.
"""

from __future__ import annotations

import datetime as dt
import html
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from sqlalchemy import Connection, func, select

from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.models import _db
from jupyter_mlops.models.uri import parse_model_uri
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import runs as q
from jupyter_mlops.store import tables as t

if TYPE_CHECKING:
    import pandas as pd

Direction: TypeAlias = Literal["upstream", "downstream"]
DIRECTIONS: tuple[Direction, ...] = ("upstream", "downstream")
MAX_NODES = 1000


@dataclass(frozen=True)
class Node:
    """One thing in the graph: ``kind`` says what, ``attrs`` holds its details."""

    id: str
    kind: str
    label: str
    attrs: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Edge:
    """``source`` fed ``target``; ``relation`` says how (a role, ``registered``, ...)."""

    source: str
    target: str
    relation: str


Expander: TypeAlias = Callable[[Connection, Node], Iterable[tuple[Edge, Node]]]
RefResolver: TypeAlias = Callable[[Connection, str], Node]

_EXPANDERS: dict[tuple[str, Direction], list[Expander]] = {}
_REFS: dict[str, RefResolver] = {}


def register_expander(kind: str, direction: Direction, expander: Expander) -> None:
    """Add a source of ``direction`` neighbours for nodes of ``kind``.

    An expander takes an open read connection and a node and yields ``(edge, neighbour)``
    pairs, edges oriented the way data flows.
    """
    if direction not in ("upstream", "downstream"):
        raise ValueError(f"direction must be 'upstream' or 'downstream', not {direction!r}")
    _EXPANDERS.setdefault((kind, direction), []).append(expander)


def register_ref(prefix: str, resolver: RefResolver) -> None:
    """Let :func:`lineage` accept references starting with ``prefix`` (such as ``step:``)."""
    _REFS[prefix] = resolver


# -- nodes --------------------------------------------------------------------


def _when(ts: float | None) -> str:
    return "" if ts is None else dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def run_node(conn: Connection, run_id: str) -> Node:
    row = conn.execute(
        select(
            t.runs.c.id,
            t.runs.c.name,
            t.runs.c.status,
            t.runs.c.start_time,
            t.experiments.c.name.label("experiment"),
        )
        .join(t.experiments, t.experiments.c.id == t.runs.c.experiment_id)
        .where(t.runs.c.id == run_id)
    ).first()
    if row is None:
        return Node(f"run:{run_id}", "run", f"run {run_id[:8]} (deleted)", {"id": run_id})
    return Node(
        f"run:{row.id}",
        "run",
        f"run {row.name} ({row.id[:8]}) [{row.status}]",
        {
            "id": row.id,
            "name": row.name,
            "status": row.status,
            "experiment": row.experiment,
            "start_time": row.start_time,
        },
    )


def _dataset_nodes(conn: Connection, where: Any) -> list[tuple[Node, Any]]:
    dv, ds = t.dataset_versions, t.datasets
    rows = conn.execute(
        select(dv, ds.c.name.label("dataset"))
        .join(ds, ds.c.id == dv.c.dataset_id)
        .where(where)
        .order_by(ds.c.name, dv.c.version)
    ).all()
    return [
        (
            Node(
                f"dataset:{r.dataset}@{r.version}",
                "dataset_version",
                f"dataset:{r.dataset}@{r.version} ({r.digest[:12]})",
                {
                    "id": int(r.id),
                    "name": r.dataset,
                    "version": int(r.version),
                    "digest": r.digest,
                    "rows": r.row_count,
                    "source_path": r.source_path,
                    "run_id": r.run_id,
                },
            ),
            r,
        )
        for r in rows
    ]


def _model_nodes(conn: Connection, where: Any) -> list[Node]:
    mv, rm = t.model_versions, t.registered_models
    rows = conn.execute(
        select(mv.c.id, mv.c.version, mv.c.class_name, mv.c.digest, mv.c.run_id, rm.c.name)
        .join(rm, rm.c.id == mv.c.model_id)
        .where(where)
        .order_by(rm.c.name, mv.c.version)
    ).all()
    nodes = []
    for r in rows:
        stages = _db.stages_of(conn, int(r.id))
        held = f" [{', '.join(stages)}]" if stages else ""
        nodes.append(
            Node(
                f"models:/{r.name}/{r.version}",
                "model_version",
                f"models:/{r.name}/{r.version} {r.class_name.rsplit('.', 1)[-1]}{held}",
                {
                    "id": int(r.id),
                    "name": r.name,
                    "version": int(r.version),
                    "class_name": r.class_name,
                    "digest": r.digest,
                    "run_id": r.run_id,
                    "stages": stages,
                },
            )
        )
    return nodes


def _data_node(source: str, digest: str, kind: str) -> Node:
    return Node(
        f"data:{digest}",
        "data",
        f"{kind} {source} ({digest[:12]})",
        {"digest": digest, "source": source, "kind": kind},
    )


# -- expanders ----------------------------------------------------------------


def _run_upstream(conn: Connection, node: Node) -> Iterator[tuple[Edge, Node]]:
    run_id = node.attrs["id"]
    links = t.run_dataset_links
    linked: dict[str, Node] = {}
    roles: dict[int, list[str]] = {}
    for role, vid in conn.execute(
        select(links.c.role, links.c.version_id).where(
            links.c.run_id == run_id, links.c.direction == "input"
        )
    ):
        roles.setdefault(int(vid), []).append(str(role))
    if roles:
        for dnode, row in _dataset_nodes(conn, t.dataset_versions.c.id.in_(list(roles))):
            linked[row.digest] = dnode
            for role in roles[int(row.id)]:
                yield Edge(dnode.id, node.id, role), dnode
    inputs = conn.execute(
        select(
            t.run_inputs.c.role, t.run_inputs.c.kind, t.run_inputs.c.source, t.run_inputs.c.digest
        )
        .where(t.run_inputs.c.run_id == run_id)
        .order_by(t.run_inputs.c.id)
    ).all()
    digests = sorted({i.digest for i in inputs} - set(linked))
    if digests:
        # A file the run read that is also a registered dataset version links to it.
        for dnode, row in _dataset_nodes(conn, t.dataset_versions.c.digest.in_(digests)):
            linked.setdefault(row.digest, dnode)
    for item in inputs:
        target = linked.get(item.digest) or _data_node(item.source, item.digest, item.kind)
        yield Edge(target.id, node.id, item.role), target


def _run_downstream(conn: Connection, node: Node) -> Iterator[tuple[Edge, Node]]:
    run_id = node.attrs["id"]
    links = t.run_dataset_links
    outputs = {
        int(vid): str(role)
        for role, vid in conn.execute(
            select(links.c.role, links.c.version_id).where(
                links.c.run_id == run_id, links.c.direction == "output"
            )
        )
    }
    dv = t.dataset_versions
    for dnode, row in _dataset_nodes(conn, (dv.c.run_id == run_id) | dv.c.id.in_(list(outputs))):
        yield Edge(node.id, dnode.id, outputs.get(int(row.id), "produced")), dnode
    for mnode in _model_nodes(conn, t.model_versions.c.run_id == run_id):
        yield Edge(node.id, mnode.id, "registered"), mnode


def _dataset_upstream(conn: Connection, node: Node) -> Iterator[tuple[Edge, Node]]:
    links = t.run_dataset_links
    producers = {
        str(run_id): str(role)
        for run_id, role in conn.execute(
            select(links.c.run_id, links.c.role).where(
                links.c.version_id == node.attrs["id"], links.c.direction == "output"
            )
        )
    }
    if node.attrs.get("run_id"):
        producers.setdefault(str(node.attrs["run_id"]), "produced")
    for run_id, role in sorted(producers.items()):
        rnode = run_node(conn, run_id)
        yield Edge(rnode.id, node.id, role), rnode


def _runs_using_digest(conn: Connection, digest: str) -> Iterator[tuple[str, str]]:
    for run_id, role in conn.execute(
        select(t.run_inputs.c.run_id, t.run_inputs.c.role)
        .where(t.run_inputs.c.digest == digest)
        .distinct()
        .order_by(t.run_inputs.c.run_id)
    ):
        yield str(run_id), str(role)


def _dataset_downstream(conn: Connection, node: Node) -> Iterator[tuple[Edge, Node]]:
    links = t.run_dataset_links
    uses = {
        (str(run_id), str(role))
        for run_id, role in conn.execute(
            select(links.c.run_id, links.c.role).where(
                links.c.version_id == node.attrs["id"], links.c.direction == "input"
            )
        )
    }
    uses |= set(_runs_using_digest(conn, node.attrs["digest"]))
    for run_id, role in sorted(uses):
        rnode = run_node(conn, run_id)
        yield Edge(node.id, rnode.id, role), rnode


def _data_downstream(conn: Connection, node: Node) -> Iterator[tuple[Edge, Node]]:
    for run_id, role in _runs_using_digest(conn, node.attrs["digest"]):
        rnode = run_node(conn, run_id)
        yield Edge(node.id, rnode.id, role), rnode


def _model_upstream(conn: Connection, node: Node) -> Iterator[tuple[Edge, Node]]:
    run_id = node.attrs.get("run_id")
    if run_id:
        rnode = run_node(conn, str(run_id))
        yield Edge(rnode.id, node.id, "registered"), rnode


def _model_downstream(conn: Connection, node: Node) -> Iterator[tuple[Edge, Node]]:
    pe, mv = t.promotion_events, t.model_versions
    mid = conn.execute(select(mv.c.model_id).where(mv.c.id == node.attrs["id"])).scalar_one()
    rows = conn.execute(
        select(pe)
        .where(
            pe.c.model_id == mid,
            pe.c.to_version == node.attrs["version"],
            pe.c.outcome == "promoted",
        )
        .order_by(pe.c.id)
    ).all()
    held = set(node.attrs.get("stages") or [])
    latest: dict[str, int] = {r.stage: int(r.id) for r in rows}
    for r in rows:
        src = f"v{r.from_version}" if r.from_version is not None else "none"
        current = r.stage in held and latest[r.stage] == int(r.id)
        enode = Node(
            f"promotion:{r.id}",
            "promotion",
            f"{r.stage}: {src} -> v{r.to_version} by {r.user_name or '?'} {_when(r.created_at)}"
            + (" (current)" if current else ""),
            {
                "id": int(r.id),
                "stage": r.stage,
                "from_version": r.from_version,
                "to_version": int(r.to_version),
                "user": r.user_name,
                "created_at": r.created_at,
                "reason": r.reason,
                "current": current,
            },
        )
        yield Edge(node.id, enode.id, "promoted"), enode


register_expander("run", "upstream", _run_upstream)
register_expander("run", "downstream", _run_downstream)
register_expander("dataset_version", "upstream", _dataset_upstream)
register_expander("dataset_version", "downstream", _dataset_downstream)
register_expander("data", "downstream", _data_downstream)
register_expander("model_version", "upstream", _model_upstream)
register_expander("model_version", "downstream", _model_downstream)


# -- references ---------------------------------------------------------------


def _dataset_ref(conn: Connection, ref: str) -> Node:
    body = ref.removeprefix("dataset:")
    name, _, version = body.partition("@")
    if not name or (version and not version.isdigit()):
        raise MlopsUsageError(
            f"Invalid dataset reference {ref!r}: expected dataset:NAME@VERSION (or dataset:NAME)."
        )
    dv, ds = t.dataset_versions, t.datasets
    did = conn.execute(select(ds.c.id).where(ds.c.name == name)).scalar()
    if did is None:
        raise NotFoundError(f"No dataset {name!r}.", dataset=name)
    number = (
        int(version)
        if version
        else conn.execute(select(func.max(dv.c.version)).where(dv.c.dataset_id == did)).scalar()
    )
    found = _dataset_nodes(conn, (dv.c.dataset_id == did) & (dv.c.version == number))
    if not found:
        raise NotFoundError(f"Dataset {name!r} has no version {version or ''}.".replace(" .", "."))
    return found[0][0]


def _model_ref(conn: Connection, ref: str) -> Node:
    uri = parse_model_uri(ref)
    row = _db.resolve(conn, uri)
    return _model_nodes(conn, t.model_versions.c.id == row.id)[0]


def _run_ref(conn: Connection, ref: str) -> Node:
    return run_node(conn, q.resolve_run_id(conn, ref.removeprefix("run:")))


def _digest_ref(conn: Connection, ref: str) -> Node:
    digest = ref.removeprefix("data:")
    row = conn.execute(
        select(t.run_inputs.c.source, t.run_inputs.c.kind).where(t.run_inputs.c.digest == digest)
    ).first()
    if row is None:
        raise NotFoundError(f"No run used data with digest {digest!r}.", digest=digest)
    return _data_node(row.source, digest, row.kind)


def _bare_ref(conn: Connection, ref: str) -> Node:
    """``NAME@N`` (how the data module prints a version) or else a run reference."""
    name, at, version = ref.partition("@")
    if at and version.isdigit():
        exists = conn.execute(select(t.datasets.c.id).where(t.datasets.c.name == name)).first()
        if exists is not None:
            return _dataset_ref(conn, f"dataset:{ref}")
    return _run_ref(conn, ref)


register_ref("dataset:", _dataset_ref)

# Modules that add node kinds or links when imported; loaded on the first lineage() call so
# the graph is complete however the caller got here.
PLUGINS = ("jupyter_mlops.monitor.act",)


def _load_plugins() -> None:
    import importlib

    for name in PLUGINS:
        importlib.import_module(name)


register_ref("models:/", _model_ref)
register_ref("run:", _run_ref)
register_ref("data:", _digest_ref)


def _as_ref(x: Any) -> str:
    if isinstance(x, str):
        if not x.strip():
            raise MlopsUsageError("Give what to trace: dataset:NAME@N, a run id or models:/NAME/N.")
        return x.strip()
    uri = getattr(x, "uri", None)
    if isinstance(uri, str) and uri.startswith("models:/"):
        return uri  # a ModelVersion
    run_id = getattr(x, "id", None)
    if isinstance(run_id, str) and hasattr(x, "experiment"):
        return f"run:{run_id}"  # a Run or RunRecord
    name, version = getattr(x, "name", None), getattr(x, "version", None)
    if isinstance(name, str) and isinstance(version, int):
        return f"dataset:{name}@{version}"  # a DatasetVersion
    raise MlopsUsageError(
        f"Cannot trace a {type(x).__name__}: give dataset:NAME@N, a run (or its id) "
        "or a model version (models:/NAME/N)."
    )


# -- the graph ----------------------------------------------------------------


@dataclass
class Lineage:
    """A lineage graph around ``root``: ``nodes`` by id and ``edges`` in data-flow direction."""

    root: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    truncated: bool = False

    def _children(self, node_id: str, direction: Direction) -> list[Edge]:
        if direction == "upstream":
            return [e for e in self.edges if e.target == node_id]
        return [e for e in self.edges if e.source == node_id]

    def _reach(self, direction: Direction) -> list[str]:
        seen: dict[str, None] = {}
        stack = [self.root]
        while stack:
            current = stack.pop()
            for e in self._children(current, direction):
                other = e.source if direction == "upstream" else e.target
                if other not in seen and other != self.root:
                    seen[other] = None
                    stack.append(other)
        return list(seen)

    @property
    def upstream(self) -> list[Node]:
        """Every ancestor of the root."""
        return [self.nodes[i] for i in self._reach("upstream")]

    @property
    def downstream(self) -> list[Node]:
        """Every descendant of the root."""
        return [self.nodes[i] for i in self._reach("downstream")]

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
        import pandas as pd

        return pd.DataFrame(
            {
                "source": [e.source for e in self.edges],
                "target": [e.target for e in self.edges],
                "relation": [e.relation for e in self.edges],
                "source_kind": [self.nodes[e.source].kind for e in self.edges],
                "target_kind": [self.nodes[e.target].kind for e in self.edges],
            },
            columns=["source", "target", "relation", "source_kind", "target_kind"],
        )

    def _tree(self, direction: Direction) -> list[tuple[int, str, str, bool]]:
        """(depth, node id, relation, already shown) in depth-first order."""
        out: list[tuple[int, str, str, bool]] = []
        shown: set[str] = {self.root}

        def walk(node_id: str, depth: int) -> None:
            for e in self._children(node_id, direction):
                other = e.source if direction == "upstream" else e.target
                repeat = other in shown
                out.append((depth, other, e.relation, repeat))
                if not repeat:
                    shown.add(other)
                    walk(other, depth + 1)

        walk(self.root, 0)
        return out

    def __str__(self) -> str:
        lines = [self.nodes[self.root].label]
        for direction in DIRECTIONS:
            items = self._tree(direction)
            lines.append(f"{direction}:" + ("" if items else " (none)"))
            arrow = "<-" if direction == "upstream" else "->"
            for depth, node_id, relation, repeat in items:
                more = " (see above)" if repeat else ""
                label = self.nodes[node_id].label
                lines.append(f"{'  ' * (depth + 1)}{arrow} [{relation}] {label}{more}")
        if self.truncated:
            lines.append(f"(truncated at {MAX_NODES} nodes)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        parts = [f"<div class='mlops-lineage'><b>{esc(self.nodes[self.root].label)}</b>"]
        for direction in DIRECTIONS:
            items = self._tree(direction)
            parts.append(f"<div><i>{direction}</i>")
            depth_open = 0
            for depth, node_id, relation, repeat in items:
                while depth_open <= depth:
                    parts.append("<ul>")
                    depth_open += 1
                while depth_open > depth + 1:
                    parts.append("</ul>")
                    depth_open -= 1
                node = self.nodes[node_id]
                more = " <small>(see above)</small>" if repeat else ""
                parts.append(
                    f"<li><code>{esc(relation)}</code> <span class='mlops-{esc(node.kind)}'>"
                    f"{esc(node.label)}</span>{more}</li>"
                )
            parts.append("</ul>" * depth_open + ("" if items else " <small>none</small>"))
            parts.append("</div>")
        return "".join(parts) + "</div>"


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
    ref = _as_ref(x)
    _load_plugins()
    store = store or current_store()
    with store.read() as conn:
        for prefix, resolver in _REFS.items():
            if ref.startswith(prefix):
                root = resolver(conn, ref)
                break
        else:
            if ref.startswith("models:"):
                parse_model_uri(ref)  # not models:/...: raises naming the accepted forms
            root = _bare_ref(conn, ref)
        graph = Lineage(root.id, {root.id: root})
        seen_edges: set[Edge] = set()
        for direction in DIRECTIONS:
            frontier, seen, level = [root], {root.id}, 0
            while frontier and (depth is None or level < depth) and not graph.truncated:
                following: list[Node] = []
                for node in frontier:
                    for expander in _EXPANDERS.get((node.kind, direction), []):
                        for edge, other in expander(conn, node):
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


class _CallableModule(types.ModuleType):
    """Lets ``mlops.lineage(x)`` work even after ``import jupyter_mlops.lineage``.

    Importing a submodule rebinds the package attribute of the same name to the module,
    which would shadow the ``lineage`` function re-exported by ``jupyter_mlops``.
    """

    def __call__(self, x: Any, *, depth: int | None = None, store: Store | None = None) -> Lineage:
        return lineage(x, depth=depth, store=store)


sys.modules[__name__].__class__ = _CallableModule
