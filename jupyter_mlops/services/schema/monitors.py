"""Monitors: each monitor's latest verdict and its history."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from jupyter_mlops.services.schema.base import Real, Request, Response, RunStatus

#: The monitor's decision on a run: what it alerted (and retrained) on, by its own threshold.
MonitorVerdict = Literal["drift", "no_drift", "unknown"]


class MonitorSummary(Response):
    """A monitor with its latest verdict."""

    name: str
    runs: int
    schedule: bool
    threshold: float | None = Field(
        description="the drifted share the monitor acts at; null: the drift report's verdict"
    )
    latest_time: float | None
    latest_status: RunStatus | None
    latest_drift_share: float | None
    latest_dataset_drift: bool | None = Field(description="the drift report's own verdict")
    latest_verdict: MonitorVerdict | None = Field(
        description="the monitor's decision on its latest run (null: no runs yet)"
    )


class MonitorList(Response):
    """Every monitor: tagged runs (mlops.monitor=NAME) and schedules with a monitor."""

    items: list[MonitorSummary]


class MonitorPoint(Response):
    """One run of a monitor: its drift share and the monitor's verdict."""

    run_id: str
    time: float
    status: RunStatus
    drift_share: float | None
    dataset_drift: bool | None = Field(description="the drift report's own verdict")
    verdict: MonitorVerdict = Field(
        description="the monitor's decision: drift (it alerted), no_drift, or unknown"
    )
    threshold: float | None = Field(description="the threshold the decision was made by")
    metrics: dict[str, Real] = Field(description="the metrics asked for (NaN: not logged)")


class MonitorHistoryInfo(Response):
    """The runs of one monitor, oldest first."""

    name: str
    threshold: float | None
    points: list[MonitorPoint]


class MonitorHistoryQuery(Request):
    """What to show of a monitor's runs besides the drift share."""

    metrics: list[str] = Field(
        default_factory=list, description="a metric to show as a column, e.g. roc_auc"
    )
