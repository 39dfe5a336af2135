"""Schedules: add, update, list, show, pause, resume, remove, run now, history, export, a cron
preview; the daemon.

Every face asks these functions: the REST API sends their records, the command line prints
them (``--format json`` is the same JSON), the magics show them. What a schedule may be —
its cron expression, its target checked as ``jupyter-mlops run`` checks it, its parameters
typed by the target — is the scheduler's to say (:mod:`jupyter_mlops.scheduler`).
"""

from __future__ import annotations

import time
from pathlib import Path

from jupyter_mlops import scheduler
from jupyter_mlops.scheduler import Scheduler
from jupyter_mlops.scheduler.cron import check_cron, local_label, next_ticks
from jupyter_mlops.scheduler.runner import Abandon
from jupyter_mlops.services import schema
from jupyter_mlops.services.paths import in_root, paths_as_given
from jupyter_mlops.store import Store
from jupyter_mlops.store.schedules import Schedule, ScheduleRun

__all__ = [
    "Abandon",
    "Scheduler",
    "add",
    "daemon",
    "export",
    "get_schedule",
    "history",
    "list_schedules",
    "pause",
    "preview",
    "remove",
    "resume",
    "run_due",
    "run_now",
    "update",
]


def schedule_info(s: Schedule) -> schema.ScheduleInfo:
    """The record of one schedule."""
    monitor = None
    if s.monitor is not None:
        monitor = schema.ScheduleMonitor(
            name=str(s.monitor.get("name") or s.name),
            alert=[str(a) for a in s.monitor.get("alert") or []],
            trigger=s.monitor.get("trigger"),
            trigger_env=s.monitor.get("trigger_env"),
            drift_threshold=s.monitor.get("drift_threshold"),
        )
    return schema.ScheduleInfo(
        name=s.name,
        target_kind="notebook" if s.target_kind == "notebook" else "pipeline",
        target=s.target,
        cron=s.cron,
        timezone=s.timezone,
        env=s.env,
        params=s.params,
        monitor=monitor,
        enabled=s.enabled,
        coalesce=s.coalesce,
        next_due=s.next_due,
        last_tick=s.last_tick,
    )


def run_info(r: ScheduleRun, *, root: Path) -> schema.ScheduleRunInfo:
    """The record of one tick of a schedule."""
    return schema.ScheduleRunInfo.model_validate(
        {
            "id": r.id,
            "schedule": r.schedule,
            "tick": r.tick,
            "status": r.status,
            "started": r.started,
            "ended": r.ended,
            "run_id": r.run_id,
            "pipeline_run_id": r.pipeline_run_id,
            "output_notebook": r.output_notebook,
            "output_notebook_in_root": in_root(root, r.output_notebook),
            "error": r.error,
        }
    )


def list_schedules(store: Store) -> schema.ScheduleList:
    """Every schedule, by name (in code-point order on every backend)."""
    return schema.ScheduleList(
        items=[schedule_info(s) for s in scheduler.list_schedules(store=store)]
    )


def get_schedule(store: Store, name: str) -> schema.ScheduleInfo:
    """One schedule.

    Raises:
        NotFoundError: no schedule has that name.
    """
    return schedule_info(scheduler.get(name, store=store))


def add(
    store: Store, request: schema.ScheduleCreate, *, root: Path, cwd: Path | None = None
) -> schema.ScheduleInfo:
    """Add a schedule of a notebook or pipeline of the project at ``root``.

    Paths are relative to ``cwd`` (the server: its root). Parameters given as text are
    typed by the target; other values must have its type. Nothing is written when a check
    fails.

    Raises:
        MlopsUsageError: a bad name, cron expression (also one that never fires) or
            timezone; a target outside the project; what ``jupyter-mlops run`` refuses (a
            spec that does not load, an unknown environment or parameter, a value of the
            wrong type); a schedule of that name exists.
    """
    # The target's checks name files by their full path: named as given here.
    with paths_as_given(cwd or root):
        added = scheduler.add(
            request.name,
            cron=request.cron,
            notebook=request.notebook,
            pipeline=request.pipeline,
            timezone=request.timezone,
            env=request.env,
            params=request.params,
            coalesce=request.coalesce,
            monitor_webhook=request.monitor_webhook,
            trigger_pipeline=request.trigger_pipeline,
            trigger_env=request.trigger_env,
            drift_threshold=request.drift_threshold,
            store=store,
            root=root,
            cwd=cwd or root,
        )
    return schedule_info(added)


def update(
    store: Store, name: str, request: schema.ScheduleUpdate, *, root: Path
) -> schema.ScheduleInfo:
    """Change a schedule's cron expression, timezone, environment, parameters or coalescing.

    What the request leaves out stays; ``params`` replaces the parameters. The target is
    checked again as ``add`` checks it. Nothing is written when a check fails.

    Raises:
        NotFoundError: no schedule has that name.
        MlopsUsageError: a bad cron expression, timezone, environment or parameter.
    """
    env: str | None = scheduler.KEEP
    if request.clear_env:
        env = None
    elif request.env is not None:
        env = request.env
    with paths_as_given(root):
        updated = scheduler.update(
            name,
            cron=request.cron,
            timezone=request.timezone,
            env=env,
            params=request.params,
            coalesce=request.coalesce,
            store=store,
            root=root,
        )
    return schedule_info(updated)


def preview(store: Store, query: schema.CronPreviewQuery) -> schema.CronPreview:
    """When a cron expression fires next, as wall-clock times of its timezone (not the
    browser's).

    Raises:
        MlopsUsageError: a bad cron expression or timezone.
    """
    cron = check_cron(query.cron)
    ticks = next_ticks(cron, query.timezone, time.time(), query.count)
    return schema.CronPreview(
        cron=cron,
        timezone=query.timezone,
        ticks=[schema.CronTick(at=t, local=local_label(t, query.timezone)) for t in ticks],
    )


def pause(store: Store, name: str) -> schema.ScheduleInfo:
    """Stop a schedule until it is resumed (a running tick finishes)."""
    return schedule_info(scheduler.pause(name, store=store))


def resume(store: Store, name: str) -> schema.ScheduleInfo:
    """Let a paused schedule run again from its next tick."""
    return schedule_info(scheduler.resume(name, store=store))


def remove(store: Store, name: str) -> schema.ScheduleRemoved:
    """Delete a schedule and its history of ticks (the runs it produced stay).

    Raises:
        NotFoundError: no schedule has that name.
    """
    return schema.ScheduleRemoved(name=name, removed_ticks=scheduler.remove(name, store=store))


def run_now(store: Store, name: str, *, root: Path) -> schema.ScheduleRunInfo:
    """Run a schedule once now and wait for it (call from a worker thread).

    Raises:
        ConflictError: the schedule is running already.
    """
    return run_info(scheduler.run_now(name, store=store), root=root)


def history(
    store: Store, name: str, query: schema.ScheduleHistoryQuery, *, root: Path
) -> schema.ScheduleRunList:
    """The ticks of a schedule, newest first."""
    return schema.ScheduleRunList(
        name=name,
        items=[
            run_info(r, root=root) for r in scheduler.runs(name, limit=query.limit, store=store)
        ],
    )


def export(store: Store, name: str, query: schema.ScheduleExportQuery) -> schema.ScheduleExport:
    """The schedule as a crontab line, a Kubernetes CronJob or a GitHub Actions workflow.

    Raises:
        NotFoundError: no schedule has that name.
    """
    text = scheduler.export(name, format=query.format, store=store)
    return schema.ScheduleExport(name=name, format=query.format, text=text)


def daemon(store: Store, options: schema.SchedulerOptions) -> Scheduler:
    """The scheduler loop over ``store`` (``run_forever`` or one pass with :func:`run_due`)."""
    return Scheduler(store, poll=options.poll, timeout=options.timeout)


def run_due(loop: Scheduler, *, root: Path) -> list[schema.ScheduleRunInfo]:
    """One pass of the scheduler: run every due tick; the ticks it ran.

    Raises:
        Abandon: raised into the pass (a second signal) to give up the running tick.
    """
    return [run_info(r, root=root) for r in loop.tick()]
