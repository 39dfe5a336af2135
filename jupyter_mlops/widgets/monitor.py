"""A monitor's timeline: drift share over time with the alert threshold, and its runs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import ipywidgets as w  # type: ignore[import-untyped]

from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.widgets import _html as h
from jupyter_mlops.widgets._base import Panel, button

if TYPE_CHECKING:
    from jupyter_mlops.monitor.history import MonitorHistory

MAX_ROWS = 200


def history(
    name: str, *, metrics: Sequence[str], threshold: float | None, store: Store
) -> MonitorHistory:
    """:func:`jupyter_mlops.monitor.history`, imported on first use (it loads scipy)."""
    from jupyter_mlops.monitor.history import history as read

    return read(name, metrics=metrics, threshold=threshold, store=store)


def timeline_html(hist: MonitorHistory) -> str:
    """The chart and one row per run (drifted runs in red), newest last."""
    if hist.frame.empty:
        return h.note(
            f"Monitor {hist.name!r} has no runs yet; they appear once its schedule or "
            "mlops.monitor.act(report, name=...) has run."
        )
    frame = hist.frame.tail(MAX_ROWS)
    extra = [c for c in frame.columns if c not in ("run_id", "time", "status", "drift_share")]
    extra.remove("dataset_drift")
    rows, classes = [], []
    for rec in frame.to_dict("records"):
        drifted = rec["dataset_drift"] is True
        over = (
            hist.threshold is not None
            and not math.isnan(rec["drift_share"])
            and rec["drift_share"] >= hist.threshold
        )
        verdict = (
            '<span class="bad">drift</span>'
            if drifted
            else ('<span class="good">no drift</span>' if rec["dataset_drift"] is False else "")
        )
        rows.append(
            [
                f"<code>{h.esc(str(rec['run_id'])[:8])}</code>",
                h.esc(rec["time"].strftime("%Y-%m-%d %H:%M")),
                h.badge(str(rec["status"])),
                (
                    f'<span class="bad">{h.fmt(rec["drift_share"])}</span>'
                    if over
                    else h.fmt(rec["drift_share"])
                ),
                verdict,
                *(h.fmt(rec[c]) for c in extra),
            ]
        )
        classes.append("mlops-drifted" if drifted else "")
    threshold = "none" if hist.threshold is None else f"{hist.threshold:g}"
    head = ["run", "time", "status", "drift share", "verdict", *extra]
    return (
        h.png(hist.to_png(), alt=f"monitor {hist.name} drift share")
        + f"<p>{len(hist):,} runs; alert threshold {threshold}</p>"
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
        self.metrics = list(metrics)
        self.store = store or current_store()
        self.history = history(name, metrics=self.metrics, threshold=threshold, store=self.store)
        self.threshold = w.FloatText(
            value=self.history.threshold if self.history.threshold is not None else math.nan,
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
        self.history.threshold = None if math.isnan(value) else float(value)
        self._render()

    def refresh(self) -> None:
        """Read the monitor's runs again."""
        with self._lock:
            try:
                self.history = history(
                    self.name,
                    metrics=self.metrics,
                    threshold=self.history.threshold,
                    store=self.store,
                )
            except NotFoundError as exc:
                self.say(h.error(str(exc)))
                return
            self._render()

    def _render(self) -> None:
        self.say("")
        self.body.value = timeline_html(self.history)

    def to_html(self) -> str:
        return h.panel(f"Monitor {self.name}", timeline_html(self.history), kind="monitor")


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
        threshold: the alert line (default: the schedule's drift threshold).
        store: the store (default: the project's).

    Raises:
        NotFoundError: no monitor or schedule has that name.
    """
    return MonitorTimeline(name, metrics=metrics, threshold=threshold, store=store)
