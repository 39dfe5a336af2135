"""Schedules and their runs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from jupyter_mlops.services.schema.base import MAX_WHOLE, Request, Response

#: A tick of a schedule: ``skipped`` when the previous tick's run was still running.
ScheduleRunStatus = Literal["running", "finished", "failed", "killed", "skipped"]
TargetKind = Literal["notebook", "pipeline"]


class ScheduleInfo(Response):
    """One schedule."""

    name: str
    target_kind: TargetKind
    target: str
    cron: str
    timezone: str
    env: str | None
    params: dict[str, Any]
    monitor: dict[str, Any] | None
    enabled: bool
    coalesce: bool
    next_due: float | None
    last_tick: float | None


class ScheduleList(Response):
    """Every schedule, by name."""

    items: list[ScheduleInfo]


class ScheduleCreate(Request):
    """A new schedule of a notebook or a pipeline (exactly one), paths relative to the root."""

    name: str
    cron: str
    notebook: str | None = None
    pipeline: str | None = None
    timezone: str = "UTC"
    env: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    coalesce: bool = True


class ScheduleRunInfo(Response):
    """One tick of a schedule."""

    id: int
    schedule: str
    tick: float
    status: ScheduleRunStatus
    started: float | None
    ended: float | None
    run_id: str | None
    pipeline_run_id: str | None
    output_notebook: str | None
    output_notebook_in_root: str | None = Field(
        description="the output notebook relative to the server's root, to open it in JupyterLab"
    )
    error: str | None


class ScheduleRunList(Response):
    """The runs of one schedule, newest first."""

    name: str
    items: list[ScheduleRunInfo]


class ScheduleHistoryQuery(Request):
    """How many of a schedule's ticks, newest first."""

    limit: int = Field(100, ge=1, le=MAX_WHOLE, description="at most N ticks (default 100)")
