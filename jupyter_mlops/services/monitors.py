"""Monitors: each monitor's latest verdict, and the trend of one monitor with its chart.

The verdict is the monitor's own decision (:mod:`jupyter_mlops.monitor.decision`): what it
alerted and retrained on, by its threshold. Every face shows that one, the same way.
"""

from __future__ import annotations

from jupyter_mlops.monitor.history import Trend, monitor_names, plot_timeline, png, trend
from jupyter_mlops.services import schema
from jupyter_mlops.store import Store


def _info(found: Trend) -> schema.MonitorHistoryInfo:
    return schema.MonitorHistoryInfo.model_validate(
        {
            "name": found.name,
            "threshold": found.threshold,
            "points": [
                {
                    "run_id": p.run_id,
                    "time": p.time,
                    "status": p.status,
                    "drift_share": p.drift_share,
                    "dataset_drift": p.dataset_drift,
                    "verdict": p.verdict,
                    "threshold": p.threshold,
                    "metrics": p.metrics,
                }
                for p in found.runs
            ],
        }
    )


def monitor_history(
    store: Store, name: str, query: schema.MonitorHistoryQuery | None = None
) -> schema.MonitorHistoryInfo:
    """The runs of monitor ``name``, oldest first: drift share, verdict, chosen metrics.

    Raises:
        NotFoundError: no run and no schedule has that name.
    """
    metrics = query.metrics if query is not None else []
    return _info(trend(store, name, metrics=metrics))


def list_monitors(store: Store) -> schema.MonitorList:
    """Every monitor with its latest verdict, by name."""
    items = []
    for name in monitor_names(store):
        found = trend(store, name)
        last = found.runs[-1] if found.runs else None
        items.append(
            schema.MonitorSummary.model_validate(
                {
                    "name": name,
                    "runs": len(found.runs),
                    "schedule": found.scheduled,
                    "threshold": found.threshold,
                    "latest_time": last.time if last else None,
                    "latest_status": last.status if last else None,
                    "latest_drift_share": last.drift_share if last else None,
                    "latest_dataset_drift": last.dataset_drift if last else None,
                    "latest_verdict": last.verdict if last else None,
                }
            )
        )
    return schema.MonitorList(items=items)


def chart_png(info: schema.MonitorHistoryInfo, *, threshold: float | None = None) -> bytes:
    """The timeline chart of a monitor's history as PNG: drift share, drifted runs in red,
    and ``threshold`` (default: the monitor's) as the alert line."""
    points = [(p.time, p.drift_share, p.verdict == "drift") for p in info.points]
    line = threshold if threshold is not None else info.threshold
    return png(plot_timeline(info.name, points, line))
