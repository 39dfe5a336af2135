"""Monitors for the REST API: each monitor's latest drift verdict, and its trend."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select

from jupyter_mlops.monitor.history import MONITOR_TAG, history
from jupyter_mlops.services import schema
from jupyter_mlops.store import Store
from jupyter_mlops.store import tables as t


def monitor_names(store: Store) -> list[str]:
    """Names of monitors: values of the ``mlops.monitor`` tag and schedules with a monitor."""
    with store.read() as conn:
        tagged = conn.execute(
            select(t.tags.c.value).where(t.tags.c.key == MONITOR_TAG).distinct()
        ).all()
        scheduled = conn.execute(
            select(t.schedules.c.name).where(t.schedules.c.monitor.is_not(None))
        ).all()
    return sorted({str(r[0]) for r in tagged} | {str(r[0]) for r in scheduled})


def _points(frame: Any) -> list[schema.MonitorPoint]:
    points = []
    for row in frame.to_dict("records"):
        verdict = row["dataset_drift"]
        points.append(
            schema.MonitorPoint(
                run_id=row["run_id"],
                time=row["time"].timestamp(),
                status=row["status"],
                drift_share=_share(row["drift_share"]),
                dataset_drift=None
                if verdict is None or (isinstance(verdict, float) and math.isnan(verdict))
                else bool(verdict),
            )
        )
    return points


def monitor_history(store: Store, name: str) -> schema.MonitorHistoryInfo:
    """The runs of monitor ``name``, oldest first, with drift share and verdict.

    Raises:
        NotFoundError: no run and no schedule has that name.
    """
    found = history(name, store=store)
    return schema.MonitorHistoryInfo(
        name=name, threshold=found.threshold, points=_points(found.frame)
    )


def list_monitors(store: Store) -> schema.MonitorList:
    """Every monitor with its latest drift verdict."""
    scheduled = set()
    with store.read() as conn:
        scheduled = {
            str(r[0])
            for r in conn.execute(
                select(t.schedules.c.name).where(t.schedules.c.monitor.is_not(None))
            )
        }
    items = []
    for name in monitor_names(store):
        trend = monitor_history(store, name)
        last = trend.points[-1] if trend.points else None
        items.append(
            schema.MonitorSummary(
                name=name,
                runs=len(trend.points),
                schedule=name in scheduled,
                threshold=trend.threshold,
                latest_time=last.time if last else None,
                latest_status=last.status if last else None,
                latest_drift_share=last.drift_share if last else None,
                latest_dataset_drift=last.dataset_drift if last else None,
            )
        )
    return schema.MonitorList(items=items)


def _share(value: float | None) -> float | None:
    # A monitor run that measured no share (NaN or nothing logged) has none to show.
    return None if value is None or not math.isfinite(value) else float(value)
