"""Comparison of runs: params side by side (differences marked), metrics, overlaid curves;
across every run of their experiments (or a filter), parallel coordinates of params against a
chosen metric and a param-vs-metric scatter; for two runs, "Why did it move?": their diff (code
cell by cell, params, data versions, environment).

The panel draws the records of :func:`jupyter_mlops.services.compare.compare` and
:func:`~jupyter_mlops.services.compare.space`, the data the command line, the REST API and
the lab's compare view get too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import ipywidgets as w  # type: ignore[import-untyped]

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.services import project
from jupyter_mlops.services.compare import compare as compare_runs
from jupyter_mlops.services.compare import space as run_space
from jupyter_mlops.services.diff import diff as diff_runs
from jupyter_mlops.services.project import Store
from jupyter_mlops.services.schema import (
    CompareQuery,
    RunComparison,
    RunDiff,
    RunDiffQuery,
    RunSpace,
    SpaceParam,
    SpaceQuery,
)
from jupyter_mlops.widgets import _charts, _scatter
from jupyter_mlops.widgets import _html as h
from jupyter_mlops.widgets._base import Panel, button
from jupyter_mlops.widgets.rundiff import diff_html

#: Rows of the params table before "show all"; thousands of params stay readable.
MAX_PARAM_ROWS = 200
#: Axes of the parallel coordinates (differing numeric params) before the metric.
MAX_AXES = 12
#: Lines of the parallel coordinates and rows of the scatter's table: the newest runs.
MAX_LINES = 500
MAX_SCATTER_ROWS = 50

EMPTY = RunComparison(runs=[], missing=[], params=[], metrics=[], curves=[], with_history=[])
NO_SPACE = RunSpace(runs=[], total=0, params=[], metrics=[])


def read(refs: Sequence[str], *, store: Store | None = None) -> tuple[RunComparison, str]:
    """The comparison of runs ``refs``, or an empty one and the one-line reason there is none."""
    try:
        return compare_runs(store or project.store(), CompareQuery(run=list(refs))), ""
    except MlopsUsageError as exc:  # fewer than two runs asked or found
        return EMPTY, str(exc)


def read_space(
    data: RunComparison, filter_text: str = "", *, store: Store | None = None
) -> tuple[RunSpace, str]:
    """Every run of the compared runs' experiments matching ``filter_text`` (the lab's
    ``GET runs/space``), or nothing and the one-line reason (a filter that does not parse)."""
    if not data.runs:
        return NO_SPACE, ""
    experiments = sorted({run.experiment for run in data.runs})
    query = SpaceQuery(experiment=experiments, filter=filter_text, limit=2000)
    try:
        return run_space(store or project.store(), query), ""
    except MlopsUsageError as exc:
        return NO_SPACE, str(exc)


def read_diff(data: RunComparison, *, store: Store | None = None) -> RunDiff | None:
    """The diff of the two runs compared; None unless exactly two runs were found."""
    if len(data.runs) != 2:
        return None
    a, b = data.runs
    try:
        return diff_runs(store or project.store(), RunDiffQuery(a=a.run_id, b=b.run_id))
    except MlopsUsageError:  # a run deleted since it was compared: the other tabs still stand
        return None


def why_html(found: RunDiff | None) -> str:
    """ "Why did it move?": the diff of two runs, or why there is none."""
    if found is None:
        return h.note("Compare exactly two runs to see why a metric moved between them.")
    return diff_html(found)


def _labels(data: RunComparison) -> list[str]:
    return [run.label for run in data.runs]


def _number(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


def numeric_params(space: RunSpace) -> list[SpaceParam]:
    """Params that differ and read as numbers: the parallel plot's axes."""
    return [param for param in space.params if param.numeric and param.distinct > 1]


def params_html(data: RunComparison, *, only_differences: bool = False) -> str:
    """Params side by side; rows whose values differ are highlighted."""
    params = data.params
    if not params:
        return h.note("None of these runs logged params.")
    if only_differences:
        params = [p for p in params if p.differs]
        if not params:
            return h.note("Every param is the same in all these runs.")
    shown = params[:MAX_PARAM_ROWS]
    rows = [[h.esc(p.key), *(h.fmt(v) for v in p.values)] for p in shown]
    classes = ["diff" if p.differs else "" for p in shown]
    more = ""
    if len(params) > len(shown):
        more = h.note(f"{len(params) - len(shown):,} more params not shown.")
    return h.table(["param", *_labels(data)], rows, row_classes=classes) + more


def metrics_html(data: RunComparison) -> str:
    """Latest metric values side by side, the best (highest) of each row in bold."""
    if not data.metrics:
        return h.note("None of these runs logged metrics.")
    rows = []
    for metric in data.metrics:
        finite = [v for v in metric.values if v is not None and not math.isnan(v)]
        best = max(finite) if finite else None
        rows.append(
            [h.esc(metric.key)]
            + [
                f"<b>{h.fmt(v)}</b>" if v is not None and v == best else h.fmt(v)
                for v in metric.values
            ]
        )
    return h.note("Latest values; the highest of each row in bold.") + h.table(
        ["metric", *_labels(data)], rows
    )


def curves_html(data: RunComparison) -> str:
    """One chart per metric with a history, every run overlaid."""
    if not data.curves:
        return h.note("No metric was logged at more than one step.")
    label = {run.run_id: run.label for run in data.runs}
    return "".join(
        h.png(
            _charts.curves(
                {
                    label[line.run_id]: list(zip(map(float, line.steps), line.values, strict=True))
                    for line in curve.runs
                },
                title=curve.key,
            ),
            alt=f"{curve.key} by step",
        )
        for curve in data.curves
    )


def _float(value: object) -> float:
    return value if isinstance(value, float) else math.nan


def parallel_html(space: RunSpace, metric: str | None) -> str:
    """Parallel coordinates of the differing numeric params -> ``metric`` (3+ runs)."""
    if len(space.runs) < 3:
        return h.note("Parallel coordinates need three runs or more.")
    chosen = next((m for m in space.metrics if m.key == metric), None)
    if chosen is None:
        return h.note("Choose a metric for the parallel coordinates.")
    axes = numeric_params(space)[:MAX_AXES]
    if not axes:
        return h.note("No numeric param differs between these runs.")
    shown = range(min(len(space.runs), MAX_LINES))
    colour = [_float(chosen.values[i]) for i in shown]
    rows = {
        space.runs[i].label: [*(_number(p.values[i]) or math.nan for p in axes), colour[i]]
        for i in shown
    }
    chart = _charts.parallel(
        [*(f"params.{p.key}" for p in axes), f"metrics.{chosen.key}"], rows, colour_by=colour
    )
    return _space_note(space, len(shown)) + h.png(chart, alt=f"params to {chosen.key}")


def _space_note(space: RunSpace, shown: int) -> str:
    more = f", the newest {shown:,} of {space.total:,} drawn" if space.total > shown else ""
    return h.note(f"{len(space.runs):,} runs of these experiments{more}.")


def scatter_html(space: RunSpace, param: str | None, metric: str | None) -> str:
    """Metric ``metric`` against param ``param`` over every run, and the runs as a table."""
    if len(space.runs) < 2:
        return h.note("A scatter needs two runs or more.")
    x = next((p for p in space.params if p.key == param), None)
    y = next((m for m in space.metrics if m.key == metric), None)
    if x is None or y is None:
        return h.note("Choose a param and a metric for the scatter.")
    points = [
        (space.runs[i].label, x.values[i], _float(y.values[i]))
        for i in range(len(space.runs))
        if x.values[i] is not None and not math.isnan(_float(y.values[i]))
    ]
    if not points:
        return h.note(f"No run logged both params.{x.key} and metrics.{y.key}.")
    xs: list[float | str] = [
        float(v) if x.numeric else str(v) for _, v, _ in points if v is not None
    ]
    chart = _scatter.scatter(
        xs, [p[2] for p in points], x_label=f"params.{x.key}", y_label=f"metrics.{y.key}"
    )
    best = sorted(points, key=lambda p: p[2], reverse=True)[:MAX_SCATTER_ROWS]
    rows = [[h.esc(label), h.fmt(value), h.fmt(score)] for label, value, score in best]
    more = ""
    if len(points) > len(best):
        more = h.note(f"The {len(best)} highest of {len(points):,} runs.")
    return (
        _space_note(space, len(space.runs))
        + h.png(chart, alt=f"{y.key} by {x.key}")
        + h.table(["run", f"params.{x.key}", f"metrics.{y.key}"], rows)
        + more
    )


def _messages(data: RunComparison, error: str) -> str:
    return "".join(h.error(line) for line in [*data.missing, error] if line)


def comparison_html(
    data: RunComparison,
    *,
    metric: str | None = None,
    only_differences: bool = False,
    error: str = "",
    found: RunDiff | None = None,
    space: RunSpace = NO_SPACE,
    param: str | None = None,
) -> str:
    """The whole comparison as static HTML (``found``: the two runs' diff; ``space``: every
    run of their experiments, for the parallel coordinates and the ``param`` scatter)."""
    parts = [_messages(data, error)]
    if len(data.runs) < 2:
        return "".join(parts)
    parts += [
        h.section("Params", params_html(data, only_differences=only_differences)),
        h.section("Metrics", metrics_html(data)),
        h.section("Metric curves", curves_html(data)),
    ]
    if len(space.runs) > 2:
        parts.append(h.section("Parallel coordinates", parallel_html(space, metric)))
        parts.append(h.section("Param vs metric", scatter_html(space, param, metric)))
    if found is not None:
        parts.append(h.section("Why did it move?", why_html(found)))
    return "".join(parts)


class Comparison(Panel):
    """Runs side by side (``mlops.widgets.compare(a, b, ...)``, ``%mlops compare``)."""

    kind = "compare"

    def __init__(
        self,
        refs: Sequence[str],
        *,
        metric: str | None = None,
        filter_text: str = "",
        store: Store | None = None,
        data: RunComparison | None = None,
    ) -> None:
        """Compare runs ``refs``; ``data`` is their comparison when already read; the plots
        across runs take every run of their experiments matching ``filter_text``."""
        super().__init__()
        self.refs = list(refs)
        self.filter_text = filter_text
        self.store = store or project.store()
        self.data, self.error = (
            (data, "") if data is not None else read(self.refs, store=self.store)
        )
        self.space, self.space_error = read_space(self.data, filter_text, store=self.store)
        keys = sorted({m.key for m in self.data.metrics} | {m.key for m in self.space.metrics})
        self.metric = w.Dropdown(
            options=keys,
            value=metric if metric in keys else (keys[0] if keys else None),
            description="Metric",
        )
        param_keys = [p.key for p in self.space.params]
        varied = [p.key for p in self.space.params if p.distinct > 1]
        self.param = w.Dropdown(
            options=param_keys,
            value=(varied or param_keys or [""])[0] or None,
            description="Param",
        )
        self.only_differences = w.Checkbox(value=False, description="Only differences")
        self.params = w.HTML()
        self.metrics = w.HTML()
        self.curves = w.HTML()
        self.parallel = w.HTML()
        self.scatter = w.HTML()
        self.why = w.HTML()
        self.diff: RunDiff | None = None
        self.refresh_button = button("Refresh", self.refresh, icon="refresh")
        self.metric.observe(lambda _c: self._draw_space(), names="value")
        self.param.observe(lambda _c: self._draw_space(), names="value")
        self.only_differences.observe(lambda _c: self._draw_params(), names="value")
        tabs = w.Tab(
            children=[
                w.VBox([self.only_differences, self.params]),
                self.metrics,
                self.curves,
                w.VBox([self.metric, self.parallel]),
                w.VBox([w.HBox([self.param, self.metric]), self.scatter]),
                self.why,
            ]
        )
        titles = (
            "Params",
            "Metrics",
            "Curves",
            "Parallel coordinates",
            "Param vs metric",
            "Why did it move?",
        )
        for i, title in enumerate(titles):
            tabs.set_title(i, title)
        self.widget.children = [self.refresh_button, self.message, tabs]
        self._render()

    def refresh(self) -> None:
        """Read the runs again (a running run's new metrics, new runs in the experiments)."""
        with self._lock:
            self.data, self.error = read(self.refs, store=self.store)
            self.space, self.space_error = read_space(self.data, self.filter_text, store=self.store)
            self._render()

    def _draw_params(self) -> None:
        self.params.value = params_html(self.data, only_differences=self.only_differences.value)

    def _draw_space(self) -> None:
        self.parallel.value = parallel_html(self.space, self.metric.value)
        self.scatter.value = scatter_html(self.space, self.param.value, self.metric.value)

    def _render(self) -> None:
        self.diff = read_diff(self.data, store=self.store)
        self.why.value = why_html(self.diff)
        self.say(
            _messages(self.data, self.error)
            + (h.error(self.space_error) if self.space_error else "")
        )
        self._draw_params()
        self.metrics.value = metrics_html(self.data)
        self.curves.value = curves_html(self.data)
        self._draw_space()

    def to_html(self) -> str:
        body = comparison_html(
            self.data,
            metric=self.metric.value,
            only_differences=self.only_differences.value,
            error=self.error,
            found=self.diff,
            space=self.space,
            param=self.param.value,
        )
        return h.panel(f"Comparison of {len(self.data.runs)} runs", body, kind="compare")


def compare(
    *refs: str, metric: str | None = None, filter: str = "", store: Store | None = None
) -> Comparison:
    """Compare runs side by side, e.g. ``mlops.widgets.compare("a1b2", "c3d4", "e5f6")``.

    Args:
        refs: run ids, short ids or names (two or more).
        metric: the metric of the parallel coordinates and the scatter (default: the first).
        filter: the plots across runs take the runs of the compared runs' experiments that
            match it (the filter language of ``mlops.search_runs``; default: all of them).
        store: the store (default: the project's).
    """
    return Comparison(refs, metric=metric, filter_text=filter, store=store)
