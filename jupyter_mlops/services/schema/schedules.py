"""Schedules and their runs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from jupyter_mlops.services.schema.base import MAX_WHOLE, Request, Response

#: A tick of a schedule: ``skipped`` when the previous tick's run was still running.
ScheduleRunStatus = Literal["running", "finished", "failed", "killed", "skipped"]
TargetKind = Literal["notebook", "pipeline"]
#: What ``schedule export`` writes: a crontab line, a Kubernetes CronJob, a GitHub workflow.
ExportFormat = Literal["crontab", "kubernetes", "github-actions"]


class ScheduleMonitor(Response):
    """What a schedule's monitor does when its notebook finds drift."""

    name: str
    alert: list[str] = Field(description='"log" and the webhook URLs alerts go to')
    trigger: str | None = Field(description="the pipeline spec run on drift (a retrain)")
    trigger_env: str | None
    drift_threshold: float | None = Field(
        description="acts when the drifted share of columns reaches this; null: on the "
        "drift report's own verdict"
    )


class ScheduleInfo(Response):
    """One schedule."""

    name: str
    target_kind: TargetKind
    target: str = Field(description="the notebook or pipeline spec, relative to the project")
    cron: str
    timezone: str
    env: str | None
    params: dict[str, Any] = Field(description="parameters, typed by the target's defaults")
    monitor: ScheduleMonitor | None
    enabled: bool
    coalesce: bool
    next_due: float | None
    last_tick: float | None


class ScheduleList(Response):
    """Every schedule, by name."""

    items: list[ScheduleInfo]


class ScheduleCreate(Request):
    """A new schedule of a notebook or a pipeline (exactly one), a file of the project.

    The target is checked as ``jupyter-mlops run`` checks it, now and at every tick.
    """

    name: str = Field(description="the schedule's name: letters, digits, '.', '_' or '-'")
    cron: str = Field(description='a five-field cron expression, e.g. "0 6 * * *"')
    notebook: str | None = Field(default=None, description="the notebook to run")
    pipeline: str | None = Field(default=None, description="the pipeline spec to run")
    timezone: str = Field(default="UTC", description="the IANA zone the cron expression is read in")
    env: str | None = Field(default=None, description="the pipeline's environment")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="a parameter, KEY=VALUE (STEP.KEY=VALUE for a pipeline), typed by the "
        "default in the notebook's parameters cell",
    )
    coalesce: bool = Field(
        default=True, description="run missed ticks once (default); otherwise each, 10 at most"
    )
    monitor_webhook: list[str] = Field(
        default_factory=list, description="POST drift alerts to this URL"
    )
    trigger_pipeline: str | None = Field(default=None, description="run this pipeline on drift")
    trigger_env: str | None = Field(
        default=None, description="the triggered pipeline's environment"
    )
    drift_threshold: float | None = Field(
        default=None, ge=0, le=1, description="act when the drifted share of columns reaches X"
    )


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

    limit: int = Field(default=100, ge=1, le=MAX_WHOLE, description="at most N ticks (default 100)")


class ScheduleRemoved(Response):
    """A schedule that was removed (the runs it produced stay)."""

    name: str
    removed_ticks: int = Field(description="how many of its ticks were forgotten")


class ScheduleExportQuery(Request):
    """What to write a schedule as."""

    format: ExportFormat = Field(
        default="crontab", description="crontab (default), kubernetes (a CronJob) or github-actions"
    )


class ScheduleExport(Response):
    """A schedule written for other infrastructure."""

    name: str
    format: ExportFormat
    text: str


class SchedulerOptions(Request):
    """How the scheduler daemon runs."""

    once: bool = Field(default=False, description="run what is due now, then exit")
    poll: float = Field(default=30.0, gt=0, description="wake at least every SECONDS")
    timeout: float | None = Field(default=None, gt=0, description="a cell may run SECONDS at most")


class ScheduleUpdate(Request):
    """Change a schedule: what is left out (null) stays; ``params`` replaces them all."""

    cron: str | None = Field(default=None, description="a five-field cron expression")
    timezone: str | None = Field(default=None, description="the IANA zone of the cron expression")
    env: str | None = Field(
        default=None, description="the pipeline's environment (clear_env: true removes it)"
    )
    clear_env: bool = Field(default=False, description="run without an environment from now on")
    params: dict[str, Any] | None = Field(
        default=None, description="the parameters, KEY=VALUE, typed by the target (all of them)"
    )
    coalesce: bool | None = Field(default=None, description="run missed ticks once")


class CronPreviewQuery(Request):
    """When a cron expression fires next, read in a timezone."""

    cron: str = Field(description='a five-field cron expression, e.g. "0 6 * * *"')
    timezone: str = Field(default="UTC", description="the IANA zone the expression is read in")
    count: int = Field(default=5, ge=1, le=50, description="how many ticks")


class CronTick(Response):
    """One tick: epoch seconds and the wall-clock time in the schedule's timezone."""

    at: float
    local: str = Field(description="e.g. 'Mon 2026-12-07 06:00 CET (UTC+01:00)'")


class CronPreview(Response):
    """The next ticks of a cron expression in its timezone (computed by the server)."""

    cron: str = Field(description="the expression, normalized")
    timezone: str
    ticks: list[CronTick]
