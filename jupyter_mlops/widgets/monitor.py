"""A monitor's timeline: drift share over time with the alert threshold, and its runs.

It reads the monitors service's record (the one the REST API sends), so the verdict in each
row is the monitor's own decision, as every face shows it. The threshold box moves the
chart's line and marks the shares over it; it does not change a verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import ipywidgets as w  # type: ignore[import-untyped]

from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.services import monitors, project
from jupyter_mlops.services.schema import MonitorHistoryInfo, MonitorHistoryQuery
from jupyter_mlops.widgets import _html as h
from jupyter_mlops.widgets._base import Panel, button

if TYPE_CHECKING:
    from jupyter_mlops.services.project import Store

MAX_ROWS = 200
_VERDICTS = {
    "drift": '<span class="bad">drift</span>',
    "no_drift": '<span class="good">no drift</span>',
    "unknown": "",
}


def timeline_html(info: MonitorHistoryInfo, threshold: float | None) -> str:
    """The chart and one row per run (drifted runs in red), newest last.

    ``threshold`` draws the chart's line and marks the shares at or over it.
    """
    if not info.points:
        return h.note(
            f"Monitor {info.name!r} has no runs yet; they appear once its schedule or "
            "mlops.monitor.act(report, name=...) has run."
        )
    points = info.points[-MAX_ROWS:]
    extra = list(points[0].metrics)
    rows, classes = [], []
    for p in points:
        over = threshold is not None and p.drift_share is not None and p.drift_share >= threshold
        share = h.fmt(math.nan if p.drift_share is None else p.drift_share)
        rows.append(
            [
                f"<code>{h.esc(p.run_id[:8])}</code>",
                h.when(p.time),
                h.badge(p.status),
                f'<span class="bad">{share}</span>' if over else share,
                _VERDICTS[p.verdict],
                *(h.fmt(p.metrics.get(c, math.nan)) for c in extra),
            ]
        )
        classes.append("mlops-drifted" if p.verdict == "drift" else "")
    line = "none" if threshold is None else f"{threshold:g}"
    head = ["run", "time", "status", "drift share", "verdict", *extra]
    chart = monitors.chart_png(info, threshold=threshold)
    return (
        h.png(chart, alt=f"monitor {info.name} drift share")
        + f"<p>{len(info.points):,} runs; alert threshold {line}</p>"
        + h.table(head, rows, row_classes=classes)
    )


class MonitorTimeline(Panel):
    """A monitor's history (``mlops.widgets.monitor(name)``, ``%mlops monitor history``)."""

    kind = "monitor"

    def __init__(
        self,
        name: str,
        *,
        metrics: Sequence[str] = (),
        threshold: float | None = None,
        store: Store | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        self.query = MonitorHistoryQuery(metrics=list(metrics))
        self.store = store or project.store()
        self.history = monitors.monitor_history(self.store, name, self.query)
        self.line = threshold if threshold is not None else self.history.threshold
        self.threshold = w.FloatText(
            value=self.line if self.line is not None else math.nan,
            description="Threshold",
            step=0.05,
        )
        self.body = w.HTML()
        self.refresh_button = button("Refresh", self.refresh, icon="refresh")
        self.threshold.observe(lambda _c: self._set_threshold(), names="value")
        self.widget.children = [w.HBox([self.threshold, self.refresh_button]), self.body]
        self._render()

    def _set_threshold(self) -> None:
        value = self.threshold.value
        self.line = None if math.isnan(value) else float(value)
        self._render()

    def refresh(self) -> None:
        """Read the monitor's runs again."""
        with self._lock:
            try:
                self.history = monitors.monitor_history(self.store, self.name, self.query)
            except NotFoundError as exc:
                self.say(h.error(str(exc)))
                return
            self._render()

    def _render(self) -> None:
        self.say("")
        self.body.value = timeline_html(self.history, self.line)

    def to_html(self) -> str:
        return h.panel(
            f"Monitor {self.name}", timeline_html(self.history, self.line), kind="monitor"
        )


def monitor(
    name: str,
    *,
    metrics: Sequence[str] = (),
    threshold: float | None = None,
    store: Store | None = None,
) -> MonitorTimeline:
    """Show a monitor's drift share over time, e.g. ``mlops.widgets.monitor("churn-drift")``.

    Args:
        name: the monitor (or schedule) name.
        metrics: more metric columns, such as ``roc_auc``.
        threshold: the chart's alert line (default: the monitor's threshold).
        store: the store (default: the project's).

    Raises:
        NotFoundError: no monitor or schedule has that name.
    """
    return MonitorTimeline(name, metrics=metrics, threshold=threshold, store=store)
