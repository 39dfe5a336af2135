"""Comparison of runs: params side by side (differences marked), metrics, overlaid curves and,
for more than two runs, parallel coordinates of params against a chosen metric."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import ipywidgets as w  # type: ignore[import-untyped]

from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import runs as q
from jupyter_mlops.store.records import RunRecord
from jupyter_mlops.widgets import _charts
from jupyter_mlops.widgets import _html as h
from jupyter_mlops.widgets._base import Panel, button

#: Rows of the params table before "show all"; thousands of params stay readable.
MAX_PARAM_ROWS = 200
#: Metrics drawn as overlaid curves (the rest are in the table).
MAX_CURVES = 6


@dataclass
class ComparisonData:
    """What the comparison shows, read once from the store."""

    runs: list[RunRecord]
    errors: list[str] = field(default_factory=list)
    curves: dict[str, dict[str, list[tuple[float, float]]]] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return [r.label for r in self.runs]

    @property
    def param_keys(self) -> list[str]:
        return sorted({k for r in self.runs for k in r.params})

    @property
    def metric_keys(self) -> list[str]:
        return sorted({k for r in self.runs for k in r.metrics})

    def differs(self, key: str) -> bool:
        """Whether param ``key`` is not the same in every run (absent counts as different)."""
        return len({r.params.get(key) for r in self.runs}) > 1

    @property
    def numeric_params(self) -> list[str]:
        """Params that differ and read as numbers in every run: the parallel plot's axes."""
        out = []
        for key in self.param_keys:
            if self.differs(key) and all(_number(r.params.get(key)) is not None for r in self.runs):
                out.append(key)
        return out


def _number(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


def comparison_data(refs: Sequence[str], *, store: Store | None = None) -> ComparisonData:
    """Read the runs ``refs`` (ids, short ids or names) and their metric curves.

    Unknown refs are reported in ``errors``; the known runs are still compared.
    """
    store = store or current_store()
    data = ComparisonData([])
    for ref in dict.fromkeys(refs):
        try:
            data.runs.append(q.load_run(store, ref))
        except (NotFoundError, MlopsUsageError) as exc:
            data.errors.append(str(exc))
    for key in data.metric_keys[:MAX_CURVES]:
        lines = {}
        for run in data.runs:
            if key in run.metrics:
                points = q.metric_history(store, run.id, key)
                lines[run.label] = [(float(p.step), p.value) for p in points]
        if any(len(points) > 1 for points in lines.values()):
            data.curves[key] = lines
    return data


def params_html(data: ComparisonData, *, only_differences: bool = False) -> str:
    """Params side by side; rows whose values differ are highlighted."""
    keys = data.param_keys
    if not keys:
        return h.note("None of these runs logged params.")
    if only_differences:
        keys = [k for k in keys if data.differs(k)]
        if not keys:
            return h.note("Every param is the same in all these runs.")
    shown = keys[:MAX_PARAM_ROWS]
    rows = [[h.esc(k), *(h.fmt(r.params.get(k)) for r in data.runs)] for k in shown]
    classes = ["diff" if data.differs(k) else "" for k in shown]
    more = ""
    if len(keys) > len(shown):
        more = h.note(f"{len(keys) - len(shown):,} more params not shown.")
    return h.table(["param", *data.labels], rows, row_classes=classes) + more


def metrics_html(data: ComparisonData) -> str:
    """Latest metric values side by side, the best (highest) of each row in bold."""
    keys = data.metric_keys
    if not keys:
        return h.note("None of these runs logged metrics.")
    rows = []
    for key in keys:
        values = [r.metrics.get(key) for r in data.runs]
        finite = [v for v in values if v is not None and not math.isnan(v)]
        best = max(finite) if finite else None
        rows.append(
            [h.esc(key)]
            + [f"<b>{h.fmt(v)}</b>" if v is not None and v == best else h.fmt(v) for v in values]
        )
    return h.note("Latest values; the highest of each row in bold.") + h.table(
        ["metric", *data.labels], rows
    )


def curves_html(data: ComparisonData) -> str:
    """One chart per metric with a history, every run overlaid."""
    if not data.curves:
        return h.note("No metric was logged at more than one step.")
    return "".join(
        h.png(_charts.curves(lines, title=key), alt=f"{key} by step")
        for key, lines in data.curves.items()
    )


def parallel_html(data: ComparisonData, metric: str | None) -> str:
    """Parallel coordinates of the differing numeric params -> ``metric`` (3+ runs)."""
    if len(data.runs) < 3:
        return h.note("Parallel coordinates need three runs or more.")
    if metric is None or metric not in data.metric_keys:
        return h.note("Choose a metric for the parallel coordinates.")
    axes = data.numeric_params[:12]
    if not axes:
        return h.note("No numeric param differs between these runs.")
    rows = {
        r.label: [
            *(_number(r.params.get(k)) or math.nan for k in axes),
            r.metrics.get(metric, math.nan),
        ]
        for r in data.runs
    }
    colour = [r.metrics.get(metric, math.nan) for r in data.runs]
    chart = _charts.parallel(
        [*(f"params.{k}" for k in axes), f"metrics.{metric}"], rows, colour_by=colour
    )
    return h.png(chart, alt=f"params to {metric}")


def comparison_html(
    data: ComparisonData, *, metric: str | None = None, only_differences: bool = False
) -> str:
    """The whole comparison as static HTML."""
    parts = [h.error(e) for e in data.errors]
    if len(data.runs) < 2:
        parts.append(h.note(f"Comparing needs two runs or more; found {len(data.runs)}."))
        return "".join(parts)
    parts += [
        h.section("Params", params_html(data, only_differences=only_differences)),
        h.section("Metrics", metrics_html(data)),
        h.section("Metric curves", curves_html(data)),
    ]
    if len(data.runs) > 2:
        parts.append(h.section("Parallel coordinates", parallel_html(data, metric)))
    return "".join(parts)


class Comparison(Panel):
    """Runs side by side (``mlops.widgets.compare(a, b, ...)``, ``%mlops compare``)."""

    kind = "compare"

    def __init__(
        self, refs: Sequence[str], *, metric: str | None = None, store: Store | None = None
    ) -> None:
        super().__init__()
        self.refs = list(refs)
        self.store = store or current_store()
        self.data = comparison_data(self.refs, store=self.store)
        keys = self.data.metric_keys
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
        self.refresh_button = button("Refresh", self.refresh, icon="refresh")
        self.metric.observe(lambda _c: self._draw_parallel(), names="value")
        self.only_differences.observe(lambda _c: self._draw_params(), names="value")
        tabs = w.Tab(
            children=[
                w.VBox([self.only_differences, self.params]),
                self.metrics,
                self.curves,
                w.VBox([self.metric, self.parallel]),
            ]
        )
        for i, title in enumerate(("Params", "Metrics", "Curves", "Parallel coordinates")):
            tabs.set_title(i, title)
        self.widget.children = [self.refresh_button, self.message, tabs]
        self._render()

    def refresh(self) -> None:
        """Read the runs again (a running run's new metrics)."""
        with self._lock:
            self.data = comparison_data(self.refs, store=self.store)
            self._render()

    def _draw_params(self) -> None:
        self.params.value = params_html(self.data, only_differences=self.only_differences.value)

    def _draw_parallel(self) -> None:
        self.parallel.value = parallel_html(self.data, self.metric.value)

    def _render(self) -> None:
        errors = "".join(h.error(e) for e in self.data.errors)
        if len(self.data.runs) < 2:
            errors += h.note(f"Comparing needs two runs or more; found {len(self.data.runs)}.")
        self.say(errors)
        self._draw_params()
        self.metrics.value = metrics_html(self.data)
        self.curves.value = curves_html(self.data)
        self._draw_parallel()

    def to_html(self) -> str:
        body = comparison_html(
            self.data, metric=self.metric.value, only_differences=self.only_differences.value
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
