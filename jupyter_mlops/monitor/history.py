"""A monitor's history: drift share, its decision and chosen metrics across its runs.

The runs of monitor ``NAME`` are those tagged ``mlops.monitor=NAME`` (``act`` sets the tag;
schedules with a monitor set it on the runs they start) and the runs produced by the schedule
called ``NAME``. Each run's verdict is the monitor's decision (:mod:`.decision`): the one
``act`` recorded, else the same rule applied to what the run logged.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.monitor.decision import (
    DECISION_TAG,
    MONITOR_TAG,
    SHARE,
    THRESHOLD_TAG,
    VERDICT,
    Verdict,
    decide,
    recorded,
    verdict,
)
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import monitors as q
from jupyter_mlops.store import schedules as s

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "MONITOR_TAG",
    "SHARE",
    "VERDICT",
    "MonitorHistory",
    "MonitorRun",
    "Trend",
    "history",
    "monitor_names",
    "plot_timeline",
    "trend",
]


@dataclass(frozen=True)
class MonitorRun:
    """One run of a monitor: its drift share, the monitor's verdict on it, chosen metrics."""

    run_id: str
    time: float
    status: str
    drift_share: float | None
    dataset_drift: bool | None
    verdict: Verdict
    threshold: float | None
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Trend:
    """A monitor's runs, oldest first, and the threshold it decides by (if it has one)."""

    name: str
    threshold: float | None
    scheduled: bool
    runs: list[MonitorRun]


def monitor_names(store: Store) -> list[str]:
    """Names of monitors: values of the ``mlops.monitor`` tag and schedules with a monitor."""
    tagged = q.tag_values(store, MONITOR_TAG)
    return sorted(set(tagged) | set(s.monitored_schedules(store)))


def _share(value: float | None) -> float | None:
    # A run that measured no share (NaN or nothing logged) has none to show.
    return None if value is None or not math.isfinite(value) else float(value)


def trend(store: Store, name: str, *, metrics: Sequence[str] = ()) -> Trend:
    """The runs of monitor (or schedule) ``name``, oldest first, each with its verdict.

    Raises:
        NotFoundError: when no run and no schedule has that name.
    """
    sched = s.find_schedule(store, name)
    ids = q.tagged_runs(store, MONITOR_TAG, name)
    if sched is not None:
        ids += s.monitor_run_ids(store, sched.id)
    if not ids and sched is None:
        raise NotFoundError(
            f"No monitor or schedule named {name!r}: runs are tagged {MONITOR_TAG}=NAME by "
            "mlops.monitor.act(report, name=NAME) or by a schedule with a monitor."
        )
    value = ((sched.monitor or {}) if sched is not None else {}).get("drift_threshold")
    own = float(value) if value is not None else None
    points = []
    latest_recorded: float | None = None
    for row in q.monitor_runs(store, ids, (DECISION_TAG, THRESHOLD_TAG)):
        found = q.run_metrics(store, row.run_id)
        raw = found.get(VERDICT)
        dataset_drift = None if raw is None or math.isnan(raw) else bool(raw)
        share = _share(found.get(SHARE))
        decision, threshold = recorded(row.tags)
        if threshold is not None:
            latest_recorded = threshold
        elif decision is None:
            threshold = own
        if decision is None:
            decision = decide(dataset_drift, share, threshold)
        points.append(
            MonitorRun(
                run_id=row.run_id,
                time=row.start_time,
                status=row.status,
                drift_share=share,
                dataset_drift=dataset_drift,
                verdict=verdict(decision),
                threshold=threshold,
                metrics={key: found.get(key, math.nan) for key in metrics},
            )
        )
    threshold = own if own is not None else latest_recorded
    return Trend(name, threshold, sched is not None and sched.monitor is not None, points)


def plot_timeline(
    name: str, points: Sequence[tuple[float, float | None, bool]], threshold: float | None
) -> Figure:
    """Drift share over time (``(epoch seconds, share, drifted)`` points), drifted runs in
    red, with the alert threshold as a dashed line."""
    # start-up: matplotlib (~300 ms) only when someone draws the chart.
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.2))
    ax = fig.add_subplot()
    if points:
        times = np.asarray([round(p[0] * 1000) for p in points], dtype="datetime64[ms]")
        shares = np.asarray([math.nan if p[1] is None else p[1] for p in points])
        drifted = np.asarray([p[2] for p in points], dtype=bool)
        ax.plot(times, shares, marker="o", color="tab:blue", label="share")
        ax.scatter(times[drifted], shares[drifted], color="tab:red", zorder=3, label="drift")
    if threshold is not None:
        ax.axhline(threshold, color="tab:red", linestyle="--", label="alert threshold")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("drifted share of columns")
    ax.set_title(f"monitor {name}")
    ax.legend(loc="upper left", fontsize="small")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def png(fig: Figure) -> bytes:
    """A figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


@dataclass
class MonitorHistory:
    """The history of one monitor: ``frame`` (one row per run, oldest first) and a chart.

    ``threshold`` is the chart's alert line (the monitor's own unless one was given).
    """

    name: str
    frame: pd.DataFrame
    threshold: float | None = None

    def __len__(self) -> int:
        return len(self.frame)

    def plot(self) -> Figure:
        """Drift share over time, drifted runs marked, with the alert threshold line."""
        points = [
            (t.timestamp(), None if math.isnan(v) else float(v), d == "drift")
            for t, v, d in zip(
                self.frame["time"], self.frame["drift_share"], self.frame["verdict"], strict=True
            )
        ]
        return plot_timeline(self.name, points, self.threshold)

    def to_png(self) -> bytes:
        """The chart as PNG bytes."""
        return png(self.plot())

    def _repr_html_(self) -> str:
        img = base64.b64encode(self.to_png()).decode()
        table = self.frame.to_html(index=False, max_rows=50)
        return f'<img src="data:image/png;base64,{img}"/>{table}'


def history(
    name: str,
    *,
    metrics: Sequence[str] = (),
    threshold: float | None = None,
    store: Store | None = None,
) -> MonitorHistory:
    """The drift share, verdict (and ``metrics``) of every run of monitor or schedule ``name``.

    Args:
        name: The monitor's name (or the schedule's).
        metrics: More metric keys to put in columns (such as ``roc_auc``).
        threshold: The alert line of the chart (default: the monitor's threshold).
        store: The store (default: the project's).

    Returns:
        A :class:`MonitorHistory`: ``.frame`` (run_id, time, status, drift_share,
        dataset_drift, verdict — the monitor's decision: drift, no_drift or unknown —,
        threshold and one column per metric, oldest first) and ``.plot()``.

    Raises:
        NotFoundError: when no run and no schedule has that name.
    """
    import pandas as pd  # start-up: pandas (~300 ms) only for who asks for a DataFrame.

    found = trend(store or current_store(), name, metrics=metrics)
    rows: list[dict[str, Any]] = [
        {
            "run_id": p.run_id,
            "time": pd.Timestamp(p.time, unit="s", tz="UTC"),
            "status": p.status,
            "drift_share": math.nan if p.drift_share is None else p.drift_share,
            "dataset_drift": p.dataset_drift,
            "verdict": p.verdict,
            "threshold": p.threshold,
            **p.metrics,
        }
        for p in found.runs
    ]
    columns = [
        "run_id",
        "time",
        "status",
        "drift_share",
        "dataset_drift",
        "verdict",
        "threshold",
        *metrics,
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return MonitorHistory(name, frame, threshold if threshold is not None else found.threshold)
