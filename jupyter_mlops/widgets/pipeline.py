"""Pipeline progress: the DAG with live step states, durations and links to each step's
output notebook. Fed by the runner while a pipeline runs; otherwise (and once a run ends) it
shows the pipelines service's record of the run, the one the REST API sends."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w  # type: ignore[import-untyped]

from jupyter_mlops.pipelines.progress import SYMBOLS, PipelineStart, StepEvent
from jupyter_mlops.services import pipelines, project
from jupyter_mlops.services.schema import PipelineRunDetail
from jupyter_mlops.widgets import _html as h
from jupyter_mlops.widgets._base import AutoRefresh, Panel, button

if TYPE_CHECKING:
    from jupyter_mlops.services.project import Store

DONE = ("ok", "cached", "failed", "skipped")


@dataclass
class StepState:
    """What the panel knows about one step."""

    name: str
    needs: tuple[str, ...] = ()
    status: str = "queued"
    detail: str = ""
    started: float | None = None
    duration: float | None = None
    notebook: str | None = None


@dataclass
class PipelineState:
    """A pipeline run as the panel shows it."""

    name: str
    status: str = "running"
    steps: dict[str, StepState] = field(default_factory=dict)
    pipeline_run_id: str | None = None
    #: What ran and what was reused, once the run is recorded ("4 steps cached, 0 ran").
    summary: str = ""

    @property
    def running(self) -> bool:
        return self.status == "running"


def levels(steps: dict[str, StepState]) -> list[list[str]]:
    """Steps grouped by depth in the DAG: a step sits one column right of its last need."""
    depth: dict[str, int] = {}
    for name, step in steps.items():  # the runner's order is topological (needs first)
        depth[name] = 1 + max((depth.get(n, -1) for n in step.needs), default=-1)
    columns: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for name, d in depth.items():
        columns[d].append(name)
    return columns


def _link(path: str | None) -> str:
    if not path:
        return ""
    try:
        shown = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        shown = path
    return f'<a href="{h.attr(Path(shown).as_posix())}" target="_blank">{h.esc(shown)}</a>'


def _duration(step: StepState) -> str:
    if step.duration is not None:
        return f"{step.duration:.1f} s"
    if step.status == "running" and step.started is not None:
        return f"{time.time() - step.started:.0f} s…"
    return ""


def dag_html(state: PipelineState) -> str:
    """The DAG as columns of step boxes (left to right), each with its state badge."""
    if not state.steps:
        return h.note("The pipeline has no steps.")
    cols = []
    for column in levels(state.steps):
        boxes = "".join(
            '<div style="border:1px solid var(--jp-border-color2,#ccc);border-radius:4px;'
            'padding:4px 8px;margin:4px 0">'
            f"{SYMBOLS.get(state.steps[n].status, '')} <b>{h.esc(n)}</b><br>"
            f"{h.badge(state.steps[n].status)} {_duration(state.steps[n])}</div>"
            for n in column
        )
        cols.append(f'<td style="border:none">{boxes}</td>')
    arrow = '<td style="border:none;font-size:18px">→</td>'
    return f"<table><tr>{arrow.join(cols)}</tr></table>"


def steps_html(state: PipelineState) -> str:
    """One row per step: needs, state, duration, detail, output notebook."""
    rows = [
        [
            h.esc(s.name),
            h.esc(", ".join(s.needs)),
            h.badge(s.status),
            _duration(s),
            h.esc(s.detail),
            _link(s.notebook),
        ]
        for s in state.steps.values()
    ]
    return h.table(["step", "needs", "state", "duration", "detail", "output notebook"], rows)


def pipeline_html(state: PipelineState) -> str:
    """The title line, the DAG and the step table."""
    return _head(state) + dag_html(state) + steps_html(state)


def _head(state: PipelineState) -> str:
    summary = f" {h.esc(state.summary)}" if state.summary else ""
    return f"<p><b>pipeline {h.esc(state.name)}</b> {h.badge(state.status)}{summary}</p>"


def state_from_record(
    detail: PipelineRunDetail, *, needs: dict[str, tuple[str, ...]] | None = None
) -> PipelineState:
    """A pipeline run as the service records it (``needs`` from the spec give the DAG)."""
    run = detail.run
    state = PipelineState(run.name, run.status, pipeline_run_id=run.id, summary=run.summary)
    for step in detail.step_runs:
        took = None if step.started is None or step.ended is None else step.ended - step.started
        state.steps[step.step] = StepState(
            step.step,
            (needs or {}).get(step.step, ()),
            step.status,
            step.reason,
            step.started,
            took,
            step.output_notebook,
        )
    return state


def state_from_store(
    store: Store,
    name: str,
    *,
    env: str | None = None,
    needs: dict[str, tuple[str, ...]] | None = None,
) -> PipelineState:
    """The newest run of pipeline ``name`` (in ``env``), as the pipelines service tells it.

    Raises:
        NotFoundError: the pipeline never ran here.
    """
    detail = pipelines.latest(store, name, env=env, root=project.root())
    return state_from_record(detail, needs=needs)


class PipelinePanel(Panel):
    """Live progress of a pipeline run; :attr:`progress` is the runner's renderer for it."""

    kind = "pipeline"

    def __init__(
        self,
        *,
        needs: dict[str, tuple[str, ...]] | None = None,
        env: str | None = None,
        store: Store | None = None,
        show: bool = False,
        interval: float = 2.0,
    ) -> None:
        super().__init__()
        self.needs = dict(needs or {})
        self.env = env
        self.store = store
        self.state = PipelineState("")
        self._show_on_start = show
        self._handle: Any = None
        self.dag = w.HTML()
        self.table = w.HTML()
        self.refresh_button = button("Refresh", self.refresh, icon="refresh")
        self.widget.children = [self.refresh_button, self.message, self.dag, self.table]
        # Fed by the runner while it runs here; read from the store while it runs elsewhere.
        self.auto = AutoRefresh(
            self.refresh,
            lambda: self.widget.comm is not None and self.state.running and not self._fed,
            interval=interval,
        )
        self._fed = False
        self._notebooks: dict[str, str] = {}

    # -- what the runner reports (through :attr:`progress`) ---------------------
    def start(self, run: PipelineStart) -> None:
        """The run begins: the DAG, every step with its planned state."""
        with self._lock:
            self._fed = True
            self.needs = {**self.needs, **run.needs}
            self.env = run.env
            self.state = PipelineState(
                run.name,
                steps={
                    e.step: StepState(e.step, self.needs.get(e.step, ()), e.status, e.detail)
                    for e in run.steps
                },
                pipeline_run_id=run.pipeline_run_id,
            )
            # Output notebooks show once the run has ended (a cached step's: the one it reuses).
            self._notebooks = {e.step: e.notebook for e in run.steps if e.notebook}
        self._changed()

    def update(self, event: StepEvent) -> None:
        """A step changed state."""
        step, status = event.step, event.status
        with self._lock:
            state = self.state.steps.setdefault(step, StepState(step, self.needs.get(step, ())))
            if status == "running" and state.status != "running":
                state.started = time.time()
            elif status in ("ok", "failed") and state.started is not None:
                state.duration = time.time() - state.started
            state.status, state.detail = status, event.detail
            if event.notebook:
                self._notebooks[step] = event.notebook
        self._changed()

    def finish(self, status: str) -> None:
        """The run ended: the final state, with links to the output notebooks."""
        with self._lock:
            self.state.status = status
            for name, notebook in self._notebooks.items():
                if name in self.state.steps:
                    self.state.steps[name].notebook = notebook
        self._changed()

    # -- store -----------------------------------------------------------------
    def refresh(self) -> None:
        """Read the pipeline's newest run from the store again."""
        if not self.state.name:
            return
        with self._lock:
            self.state = state_from_store(
                self.store or project.store(), self.state.name, env=self.env, needs=self.needs
            )
        self._changed()

    def show_record(self, detail: PipelineRunDetail) -> None:
        """Show the run as the service recorded it (the final word once it has ended)."""
        with self._lock:
            self.state = state_from_record(detail, needs=self.needs)
            self._fed = False
        self._changed()

    # -- view ------------------------------------------------------------------
    def _changed(self) -> None:
        self.dag.value = _head(self.state) + dag_html(self.state)
        self.table.value = steps_html(self.state)
        if self._show_on_start:
            self._display()
        self.auto.ensure()

    def _display(self) -> None:
        # A display handle: the saved notebook keeps the last state, not the first.
        from IPython.display import display

        if self._handle is None:
            self._handle = display(self, display_id=True)  # type: ignore[no-untyped-call]
        else:
            self._handle.update(self)

    def to_html(self) -> str:
        return h.panel(f"Pipeline {self.state.name}", pipeline_html(self.state), kind="pipeline")

    def to_text(self) -> str:
        summary = f" ({self.state.summary})" if self.state.summary else ""
        lines = [f"pipeline {self.state.name}: {self.state.status}{summary}"]
        lines += [
            f"  {SYMBOLS.get(s.status, '?')} {s.name:<20} {s.status} {_duration(s)}".rstrip()
            for s in self.state.steps.values()
        ]
        return "\n".join(lines)

    def close(self) -> None:
        self.auto.stop()
        super().close()

    @property
    def progress(self) -> PanelProgress:
        """This panel as the runner's ``progress`` argument."""
        return PanelProgress(self)


class PanelProgress:
    """The runner's Progress protocol over a :class:`PipelinePanel`."""

    def __init__(self, panel: PipelinePanel) -> None:
        self.panel = panel

    def start(self, run: PipelineStart) -> None:
        self.panel.start(run)

    def update(self, event: StepEvent) -> None:
        self.panel.update(event)

    def close(self, status: str) -> None:
        self.panel.finish(status)


def pipeline(
    spec: str | os.PathLike[str], *, env: str | None = None, store: Store | None = None
) -> PipelinePanel:
    """Show the newest run of a pipeline, refreshing while it runs.

    Args:
        spec: the pipeline .yaml (its steps give the DAG).
        env: the environment the run used.
        store: the store (default: the project's).

    Raises:
        NotFoundError: the pipeline never ran in this store.
    """
    from jupyter_mlops.pipelines.spec import load  # start-up: YAML and the spec's checks

    loaded = load(Path(spec))
    panel = PipelinePanel(needs={n: s.needs for n, s in loaded.steps.items()}, env=env, store=store)
    panel.state = state_from_store(
        panel.store or project.store(), loaded.name, env=env, needs=panel.needs
    )
    panel._changed()
    return panel
