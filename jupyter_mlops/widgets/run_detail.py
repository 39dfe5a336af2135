"""One run in full: params, metrics with step curves, tags, data, models, artifacts (figures
inline), code, environment, git and lineage."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w  # type: ignore[import-untyped]

from jupyter_mlops.errors import MlopsError, MlopsUsageError
from jupyter_mlops.lineage.render import tree_html
from jupyter_mlops.services import project, runs, schema
from jupyter_mlops.services.lineage import lineage
from jupyter_mlops.services.project import Store
from jupyter_mlops.widgets import _charts
from jupyter_mlops.widgets import _html as h
from jupyter_mlops.widgets._base import AutoRefresh, Panel, button

#: Figures larger than this stay links to the store rather than inline images.
MAX_INLINE_BYTES = 2_000_000
MAX_CURVES = 8
MAX_ROWS = 500
SECTIONS = (
    "Overview",
    "Params",
    "Metrics",
    "Tags",
    "Data",
    "Models",
    "Artifacts",
    "Code",
    "Environment",
    "Git",
    "Lineage",
)


@dataclass
class RunDetailData:
    """Everything the run detail shows, read once through the run services."""

    ref: str
    run: schema.RunDetail | None
    error: str | None = None
    curves: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    datasets: list[schema.RunDatasetLink] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)
    lineage_html: str = ""

    @property
    def label(self) -> str:
        """``name (short id)`` of the run, else the ref asked."""
        return self.ref if self.run is None else f"{self.run.name} ({self.run.short_id})"


def run_detail_data(ref: str, *, store: Store | None = None) -> RunDetailData:
    """Read run ``ref`` with its metric curves, dataset links, figures and lineage.

    An unknown ref comes back as ``error`` (the panel says so), never as an exception.
    """
    store = store or project.store()
    try:
        run = runs.detail(store, ref, root=project.root())
    except MlopsUsageError as exc:  # NotFoundError too
        return RunDetailData(ref, None, str(exc))
    data = RunDetailData(ref, run)
    for key in list(run.metrics)[:MAX_CURVES]:
        points = runs.metric_points(store, run.run_id, key).points
        if len(points) > 1:
            data.curves[key] = [(float(p.step), p.value) for p in points]
    data.datasets = runs.datasets(store, run.run_id)
    data.images = runs.figures(store, run, max_bytes=MAX_INLINE_BYTES)
    try:
        graph = lineage(store, run.run_id, depth=2)
        data.lineage_html = tree_html(graph.root, graph.nodes, graph.edges)
    except MlopsError as exc:
        data.lineage_html = h.note(f"No lineage: {exc}")
    return data


def _when(ts: float | None) -> str:
    if ts is None:
        return ""
    return h.when(ts)


def _limited(mapping: dict[str, Any], what: str) -> str:
    if not mapping:
        return h.note(f"No {what} logged.")
    items = dict(sorted(mapping.items())[:MAX_ROWS])
    more = len(mapping) - len(items)
    extra = (
        h.note(f"{more:,} more {what} not shown (mlops.get_run() has them all).") if more else ""
    )
    return h.mapping_table(items, head=(what.rstrip("s"), "value")) + extra


def section_html(data: RunDetailData, name: str) -> str:
    """One section of the run detail as HTML."""
    run = data.run
    if run is None:
        return h.error(data.error or f"No run {data.ref!r}.")
    if name == "Overview":
        info = {
            "name": run.name,
            "id": run.run_id,
            "experiment": run.experiment,
            "started": _when(run.start_time),
            "ended": _when(run.end_time) or "still running",
            "duration": "" if run.duration is None else f"{run.duration:.1f} s",
            "user": run.user,
            "host": run.host,
            "parent": run.parent_id,
            "notebook": run.notebook_path,
        }
        rows = [[h.esc(k), h.fmt(v)] for k, v in info.items() if v]
        rows.insert(0, ["status", h.badge(run.status)])
        error = f"<pre class='bad'>{h.esc(run.error)}</pre>" if run.error else ""
        return h.table(["", ""], rows) + error
    if name == "Params":
        return _limited(run.params, "params")
    if name == "Metrics":
        charts = "".join(
            h.png(_charts.curves({key: pts}, title=key), alt=f"{key} by step")
            for key, pts in data.curves.items()
        )
        return _limited(run.metrics, "metrics") + charts
    if name == "Tags":
        return _limited(run.tags, "tags")
    if name == "Data":
        return _data_html(data)
    if name == "Models":
        if not run.models:
            return h.note("No models logged.")
        rows = [
            [
                h.esc(m.name),
                h.esc(m.class_name),
                h.esc(m.flavor),
                h.esc(m.format),
                h.esc(m.digest[:12]),
            ]
            for m in run.models
        ]
        return h.table(["name", "class", "flavor", "format", "digest"], rows)
    if name == "Artifacts":
        return _artifacts_html(data)
    if name == "Code":
        if not run.cells:
            return h.note("No cells recorded (the run was not tracked from a notebook).")
        return "".join(
            f"<p>cell {c.seq} [{c.execution_count or ' '}] {h.badge(c.status)} "
            f"{'' if c.duration is None else f'{c.duration:.2f} s'}</p>"
            f"<pre>{h.esc(c.source)}</pre>"
            + (f"<pre class='bad'>{h.esc(c.error)}</pre>" if c.error else "")
            for c in run.cells
        )
    if name == "Environment":
        return _environment_html(run)
    if name == "Git":
        return _git_html(run)
    if name == "Lineage":
        return data.lineage_html or h.note("No lineage recorded.")
    raise MlopsUsageError(f"Unknown section {name!r}; expected one of {', '.join(SECTIONS)}.")


def _data_html(data: RunDetailData) -> str:
    run = data.run
    assert run is not None
    parts = []
    if data.datasets:
        rows = [
            [h.esc(d.direction), h.esc(d.role), h.esc(d.ref), h.fmt(d.rows)] for d in data.datasets
        ]
        parts.append(h.table(["direction", "role", "dataset version", "rows"], rows))
    if run.inputs:
        rows = [
            [h.esc(i.role), h.esc(i.kind), h.esc(i.source), h.esc(i.digest[:12]), h.fmt(i.size)]
            for i in run.inputs
        ]
        parts.append(h.table(["role", "kind", "source", "digest", "size"], rows))
    return "".join(parts) or h.note("No inputs or outputs recorded.")


def _artifacts_html(data: RunDetailData) -> str:
    run = data.run
    assert run is not None
    if not run.artifacts:
        return h.note("No artifacts logged.")
    rows = [
        [h.esc(a.path), h.esc(a.kind), h.esc(a.media_type), f"{a.size:,} B"] for a in run.artifacts
    ]
    figures = "".join(
        f"<figure>{_image(path, content)}<figcaption>{h.esc(path)}</figcaption></figure>"
        for path, content in data.images.items()
    )
    return h.table(["path", "kind", "type", "size"], rows) + figures


def _image(path: str, content: bytes) -> str:

    mime = "image/jpeg" if path.lower().endswith((".jpg", ".jpeg")) else "image/png"
    encoded = base64.b64encode(content).decode()
    return f'<img alt="{h.attr(path)}" style="max-width:600px" src="data:{mime};base64,{encoded}"/>'


def _git_html(run: schema.RunDetail) -> str:
    if not run.git_commit:
        return h.note("Not in a git repository (or git was not found).")
    dirty = (
        None if run.git_dirty is None else ("yes: uncommitted changes" if run.git_dirty else "no")
    )
    git = {"commit": run.git_commit, "branch": run.git_branch, "dirty": dirty}
    return h.mapping_table({k: v for k, v in git.items() if v})


def _environment_html(run: schema.RunDetail) -> str:
    env = dict(run.environment)
    packages = env.pop("packages", None) or {}
    parts = []
    simple = {k: v for k, v in env.items() if isinstance(v, str | int | float)}
    if simple:
        parts.append(h.section("System", h.mapping_table(simple)))
    if isinstance(packages, dict) and packages:
        parts.append(
            f"<details><summary>{len(packages)} packages</summary>"
            + h.mapping_table(packages, head=("package", "version"))
            + "</details>"
        )
    return "".join(parts) or h.note("No environment recorded.")


def detail_html(data: RunDetailData) -> str:
    """The whole run detail as static HTML, section after section."""
    if data.run is None:
        return h.error(data.error or f"No run {data.ref!r}.")
    return "".join(h.section(name, section_html(data, name)) for name in SECTIONS)


class RunDetail(Panel):
    """One run (``mlops.widgets.run(ref)``, ``%mlops show RUN``), a tab per section."""

    kind = "run"

    def __init__(self, ref: str, *, store: Store | None = None, interval: float = 2.0) -> None:
        super().__init__()
        self.ref = ref
        self.store = store or project.store()
        self.title = w.HTML()
        self.tabs = w.Tab()
        self.refresh_button = button("Refresh", self.refresh, icon="refresh")
        self.widget.children = [w.HBox([self.title, self.refresh_button]), self.message, self.tabs]
        self.auto = AutoRefresh(self.refresh, self._running, interval=interval)
        self.data = run_detail_data(ref, store=self.store)
        self._render()

    def _running(self) -> bool:
        # A closed panel (comm gone) stops refreshing.
        run = self.data.run
        return self.widget.comm is not None and run is not None and run.status == "running"

    def refresh(self) -> None:
        """Read the run again."""
        with self._lock:
            self.data = run_detail_data(self.ref, store=self.store)
            self._render()

    def _render(self) -> None:
        run = self.data.run
        if run is None:
            self.title.value = f"<b>Run {h.esc(self.ref)}</b>"
            self.say(h.error(self.data.error or "Unknown run."))
            self.tabs.children = []
            return
        self.say("")
        self.title.value = (
            f"<b>{h.esc(run.name)}</b> <code>{run.short_id}</code> {h.badge(run.status)}"
        )
        selected = self.tabs.selected_index
        self.tabs.children = [w.HTML(section_html(self.data, name)) for name in SECTIONS]
        for i, name in enumerate(SECTIONS):
            self.tabs.set_title(i, name)
        self.tabs.selected_index = selected or 0
        self.auto.ensure()

    def to_html(self) -> str:
        return h.panel(f"Run {self.data.label}", detail_html(self.data), kind="run")

    def to_text(self) -> str:
        run = self.data.run
        if run is None:
            return str(self.data.error)
        lines = [f"Run {self.data.label}  [{run.status}]  experiment={run.experiment}"]
        if run.params:
            lines += ["  params:", *(f"    {k} = {v}" for k, v in run.params.items())]
        if run.metrics:
            lines += ["  metrics:", *(f"    {k} = {v:.6g}" for k, v in run.metrics.items())]
        return "\n".join(lines)

    def close(self) -> None:
        self.auto.stop()
        super().close()


def run(ref: str, *, store: Store | None = None) -> RunDetail:
    """Show one run in full, e.g. ``mlops.widgets.run("a1b2c3d4")``.

    Args:
        ref: a run id, short id (4+ characters) or name.
        store: the store (default: the project's).
    """
    return RunDetail(ref, store=store)
