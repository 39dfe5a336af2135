"""Monitors: each monitor's latest verdict and its history."""

from __future__ import annotations

from jupyter_mlops.services.schema.base import Response, RunStatus


class MonitorSummary(Response):
    """A monitor with its latest drift verdict."""

    name: str
    runs: int
    schedule: bool
    threshold: float | None
    latest_time: float | None
    latest_status: RunStatus | None
    latest_drift_share: float | None
    latest_dataset_drift: bool | None


class MonitorList(Response):
    """Every monitor: tagged runs (mlops.monitor=NAME) and schedules with a monitor."""

    items: list[MonitorSummary]


class MonitorPoint(Response):
    """One run of a monitor: its drift share and verdict."""

    run_id: str
    time: float
    status: RunStatus
    drift_share: float | None
    dataset_drift: bool | None


class MonitorHistoryInfo(Response):
    """The runs of one monitor, oldest first."""

    name: str
    threshold: float | None
    points: list[MonitorPoint]
