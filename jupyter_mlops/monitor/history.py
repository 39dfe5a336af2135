"""A monitor's history: drift share and chosen metrics across its runs, as a table and a chart.

The runs of monitor ``NAME`` are those tagged ``mlops.monitor=NAME`` (``act`` sets the tag;
schedules with a monitor set it on the runs they start) and the runs produced by the schedule
called ``NAME``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import tables as t

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

MONITOR_TAG = "mlops.monitor"
SHARE = "drift.share"
VERDICT = "drift.dataset_drift"


def run_metrics(store: Store, run_id: str) -> dict[str, float]:
    """The latest metrics of a run and of its child runs (children win on a clash)."""
    with store.read() as conn:
        ids = [run_id] + [
            str(r[0])
            for r in conn.execute(
                select(t.runs.c.id)
                .where(t.runs.c.parent_id == run_id)
                .order_by(t.runs.c.start_time)
            )
        ]
        metrics: dict[str, float] = {}
        for rid in ids:
            for key, value, is_nan in conn.execute(
                select(
                    t.latest_metrics.c.key, t.latest_metrics.c.value, t.latest_metrics.c.is_nan
                ).where(t.latest_metrics.c.run_id == rid)
            ):
                metrics[str(key)] = math.nan if is_nan else float(value)
    return metrics


@dataclass
class MonitorHistory:
    """The history of one monitor: ``frame`` (one row per run, oldest first) and a chart."""

    name: str
    frame: pd.DataFrame
    threshold: float | None = None

    def __len__(self) -> int:
        return len(self.frame)

    def plot(self) -> Figure:
        """Drift share over time, drifted runs marked, with the alert threshold line."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(8, 3.2))
        ax = fig.add_subplot()
        frame = self.frame
        if not frame.empty:
            ax.plot(
                frame["time"], frame["drift_share"], marker="o", color="tab:blue", label="share"
            )
            drifted = frame[frame["dataset_drift"].map(lambda v: v is True)]
            ax.scatter(
                drifted["time"], drifted["drift_share"], color="tab:red", zorder=3, label="drift"
            )
        if self.threshold is not None:
            ax.axhline(self.threshold, color="tab:red", linestyle="--", label="alert threshold")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("drifted share of columns")
        ax.set_title(f"monitor {self.name}")
        ax.legend(loc="upper left", fontsize="small")
        fig.autofmt_xdate()
        fig.tight_layout()
        return fig

    def to_png(self) -> bytes:
        """The chart as PNG bytes."""
        import io

        buf = io.BytesIO()
        self.plot().savefig(buf, format="png", dpi=100)
        return buf.getvalue()

    def _repr_html_(self) -> str:
        import base64

        img = base64.b64encode(self.to_png()).decode()
        table = self.frame.to_html(index=False, max_rows=50)
        return f'<img src="data:image/png;base64,{img}"/>{table}'


def _run_ids(store: Store, name: str) -> tuple[list[str], float | None, bool]:
    with store.read() as conn:
        tagged = [
            str(r[0])
            for r in conn.execute(
                select(t.tags.c.run_id).where(t.tags.c.key == MONITOR_TAG, t.tags.c.value == name)
            )
        ]
        sched = conn.execute(
            select(t.schedules.c.id, t.schedules.c.monitor).where(t.schedules.c.name == name)
        ).first()
        scheduled: list[str] = []
        threshold: float | None = None
        if sched is not None:
            scheduled = [
                str(r[0])
                for r in conn.execute(
                    select(t.schedule_runs.c.run_id).where(
                        t.schedule_runs.c.schedule_id == sched.id,
                        t.schedule_runs.c.run_id.is_not(None),
                    )
                )
            ]
            monitor = json.loads(sched.monitor) if sched.monitor else {}
            value = monitor.get("drift_threshold")
            threshold = float(value) if value is not None else None
    return list(dict.fromkeys(tagged + scheduled)), threshold, sched is not None


def history(
    name: str,
    *,
    metrics: Sequence[str] = (),
    threshold: float | None = None,
    store: Store | None = None,
) -> MonitorHistory:
    """The drift share (and ``metrics``) of every run of monitor or schedule ``name``.

    Args:
        name: The monitor's name (or the schedule's).
        metrics: More metric keys to put in columns (such as ``roc_auc``).
        threshold: The alert line of the chart (default: the schedule's drift threshold).
        store: The store (default: the project's).

    Returns:
        A :class:`MonitorHistory`: ``.frame`` (run_id, time, status, drift_share,
        dataset_drift and one column per metric, oldest first) and ``.plot()``.

    Raises:
        NotFoundError: when no run and no schedule has that name.
    """
    import pandas as pd

    store = store or current_store()
    ids, sched_threshold, is_schedule = _run_ids(store, name)
    if not ids and not is_schedule:
        raise NotFoundError(
            f"No monitor or schedule named {name!r}: runs are tagged {MONITOR_TAG}=NAME by "
            "mlops.monitor.act(report, name=NAME) or by a schedule with a monitor."
        )
    with store.read() as conn:
        runs = {
            str(r.id): r
            for r in conn.execute(
                select(t.runs.c.id, t.runs.c.start_time, t.runs.c.status).where(
                    t.runs.c.id.in_(ids)
                )
            )
        }
    rows: list[dict[str, Any]] = []
    for run_id, run in runs.items():
        found = run_metrics(store, run_id)
        verdict = found.get(VERDICT)
        row: dict[str, Any] = {
            "run_id": run_id,
            "time": pd.Timestamp(run.start_time, unit="s", tz="UTC"),
            "status": run.status,
            "drift_share": found.get(SHARE, math.nan),
            "dataset_drift": None if verdict is None or math.isnan(verdict) else bool(verdict),
        }
        for key in metrics:
            row[key] = found.get(key, math.nan)
        rows.append(row)
    columns = ["run_id", "time", "status", "drift_share", "dataset_drift", *metrics]
    frame = pd.DataFrame(rows, columns=columns)
    if not frame.empty:
        frame = frame.sort_values("time", kind="stable").reset_index(drop=True)
    return MonitorHistory(name, frame, threshold if threshold is not None else sched_threshold)
