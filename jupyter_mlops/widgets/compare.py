"""Comparison of runs: params side by side (differences marked), metrics, overlaid curves and,
for more than two runs, parallel coordinates of params against a chosen metric; for two runs,
"Why did it move?": their diff (code cell by cell, params, data versions, environment).

The panel draws the record of :func:`jupyter_mlops.services.compare.compare`, the comparison
the command line and the REST API give too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import ipywidgets as w  # type: ignore[import-untyped]

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.services import project
from jupyter_mlops.services.compare import compare as compare_runs
from jupyter_mlops.services.diff import diff as diff_runs
from jupyter_mlops.services.project import Store
from jupyter_mlops.services.schema import (
    ComparedParam,
    CompareQuery,
    RunComparison,
    RunDiff,
    RunDiffQuery,
)
from jupyter_mlops.widgets import _charts
from jupyter_mlops.widgets import _html as h
from jupyter_mlops.widgets._base import Panel, button
from jupyter_mlops.widgets.rundiff import diff_html

#: Rows of the params table before "show all"; thousands of params stay readable.
MAX_PARAM_ROWS = 200
#: Axes of the parallel coordinates (differing numeric params) before the metric.
MAX_AXES = 12

EMPTY = RunComparison(runs=[], missing=[], params=[], metrics=[], curves=[])


def read(refs: Sequence[str], *, store: Store | None = None) -> tuple[RunComparison, str]:
    """The comparison of runs ``refs``, or an empty one and the one-line reason there is none."""
    try:
        return compare_runs(store or project.store(), CompareQuery(run=list(refs))), ""
    except MlopsUsageError as exc:  # fewer than two runs asked or found
        return EMPTY, str(exc)


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


def numeric_params(data: RunComparison) -> list[ComparedParam]:
    """Params that differ and read as numbers in every run: the parallel plot's axes."""
    return [
        param
        for param in data.params
        if param.differs and all(_number(v) is not None for v in param.values)
    ]


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
                    label[line.run_id]: [(float(p.step), p.value) for p in line.points]
                    for line in curve.runs
                },
                title=curve.key,
            ),
            alt=f"{curve.key} by step",
        )
        for curve in data.curves
    )


def parallel_html(data: RunComparison, metric: str | None) -> str:
    """Parallel coordinates of the differing numeric params -> ``metric`` (3+ runs)."""
    if len(data.runs) < 3:
        return h.note("Parallel coordinates need three runs or more.")
    chosen = next((m for m in data.metrics if m.key == metric), None)
    if chosen is None:
        return h.note("Choose a metric for the parallel coordinates.")
    axes = numeric_params(data)[:MAX_AXES]
    if not axes:
        return h.note("No numeric param differs between these runs.")
    colour = [math.nan if v is None else v for v in chosen.values]
    rows = {
        run.label: [*(_number(p.values[i]) or 0.0 for p in axes), colour[i]]
        for i, run in enumerate(data.runs)
    }
    chart = _charts.parallel(
        [*(f"params.{p.key}" for p in axes), f"metrics.{chosen.key}"], rows, colour_by=colour
    )
    return h.png(chart, alt=f"params to {chosen.key}")


def _messages(data: RunComparison, error: str) -> str:
    return "".join(h.error(line) for line in [*data.missing, error] if line)


def comparison_html(
    data: RunComparison,
    *,
    metric: str | None = None,
    only_differences: bool = False,
    error: str = "",
    found: RunDiff | None = None,
) -> str:
    """The whole comparison as static HTML (``found``: the two runs' diff)."""
    parts = [_messages(data, error)]
    if len(data.runs) < 2:
        return "".join(parts)
    parts += [
        h.section("Params", params_html(data, only_differences=only_differences)),
        h.section("Metrics", metrics_html(data)),
        h.section("Metric curves", curves_html(data)),
    ]
    if len(data.runs) > 2:
        parts.append(h.section("Parallel coordinates", parallel_html(data, metric)))
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
        store: Store | None = None,
        data: RunComparison | None = None,
    ) -> None:
        """Compare runs ``refs``; ``data`` is their comparison when already read."""
        super().__init__()
        self.refs = list(refs)
        self.store = store or project.store()
        self.data, self.error = (
            (data, "") if data is not None else read(self.refs, store=self.store)
        )
        keys = [m.key for m in self.data.metrics]
        self.metric = w.Dropdown(
            options=keys,
            value=metric if metric in keys else (keys[0] if keys else None),
            description="Metric",
        )
        self.only_differences = w.Checkbox(value=False, description="Only differences")
        self.params = w.HTML()
        self.metrics = w.HTML()
        self.curves = w.HTML()
        self.parallel = w.HTML()
        self.why = w.HTML()
        self.diff: RunDiff | None = None
        self.refresh_button = button("Refresh", self.refresh, icon="refresh")
        self.metric.observe(lambda _c: self._draw_parallel(), names="value")
        self.only_differences.observe(lambda _c: self._draw_params(), names="value")
        tabs = w.Tab(
            children=[
                w.VBox([self.only_differences, self.params]),
                self.metrics,
                self.curves,
                w.VBox([self.metric, self.parallel]),
                self.why,
            ]
        )
        titles = ("Params", "Metrics", "Curves", "Parallel coordinates", "Why did it move?")
        for i, title in enumerate(titles):
            tabs.set_title(i, title)
        self.widget.children = [self.refresh_button, self.message, tabs]
        self._render()

    def refresh(self) -> None:
        """Read the runs again (a running run's new metrics)."""
        with self._lock:
            self.data, self.error = read(self.refs, store=self.store)
            self._render()

    def _draw_params(self) -> None:
        self.params.value = params_html(self.data, only_differences=self.only_differences.value)

    def _draw_parallel(self) -> None:
        self.parallel.value = parallel_html(self.data, self.metric.value)

    def _render(self) -> None:
        self.diff = read_diff(self.data, store=self.store)
        self.why.value = why_html(self.diff)
        self.say(_messages(self.data, self.error))
        self._draw_params()
        self.metrics.value = metrics_html(self.data)
        self.curves.value = curves_html(self.data)
        self._draw_parallel()

    def to_html(self) -> str:
        body = comparison_html(
            self.data,
            metric=self.metric.value,
            only_differences=self.only_differences.value,
            error=self.error,
            found=self.diff,
        )
        return h.panel(f"Comparison of {len(self.data.runs)} runs", body, kind="compare")


def compare(*refs: str, metric: str | None = None, store: Store | None = None) -> Comparison:
    """Compare runs side by side, e.g. ``mlops.widgets.compare("a1b2", "c3d4", "e5f6")``.

    Args:
        refs: run ids, short ids or names (two or more).
        metric: the metric of the parallel-coordinates view (default: the first).
        store: the store (default: the project's).
    """
    return Comparison(refs, metric=metric, store=store)
