"""Schedules for the REST API: list, create, pause, resume, run now, history."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from jupyter_mlops import scheduler
from jupyter_mlops.scheduler.service import Schedule, ScheduleRun
from jupyter_mlops.services import schema
from jupyter_mlops.services.paths import in_root, inside_root
from jupyter_mlops.store import Store


def schedule_info(s: Schedule) -> schema.ScheduleInfo:
    """The wire form of one schedule."""
    return schema.ScheduleInfo(
        name=s.name,
        target_kind=cast(schema.TargetKind, s.target_kind),
        target=s.target,
        cron=s.cron,
        timezone=s.timezone,
        env=s.env,
        params=s.params,
        monitor=s.monitor,
        enabled=s.enabled,
        coalesce=s.coalesce,
        next_due=s.next_due,
        last_tick=s.last_tick,
    )


def run_info(r: ScheduleRun, *, root: Path) -> schema.ScheduleRunInfo:
    """The wire form of one tick of a schedule."""
    return schema.ScheduleRunInfo(
        id=r.id,
        schedule=r.schedule,
        tick=r.tick,
        status=cast(schema.ScheduleRunStatus, r.status),
        started=r.started,
        ended=r.ended,
        run_id=r.run_id,
        pipeline_run_id=r.pipeline_run_id,
        output_notebook=r.output_notebook,
        output_notebook_in_root=in_root(root, r.output_notebook),
        error=r.error,
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


def create(store: Store, request: schema.ScheduleCreate, *, root: Path) -> schema.ScheduleInfo:
    """Add a schedule of a notebook or pipeline inside ``root``.

    Raises:
        MlopsUsageError: a bad name, cron, timezone, or a target outside the root.
    """
    notebook = (
        str(inside_root(root, request.notebook, what="notebook")) if request.notebook else None
    )
    pipeline = (
        str(inside_root(root, request.pipeline, what="pipeline spec")) if request.pipeline else None
    )
    return schedule_info(
        scheduler.add(
            request.name,
            cron=request.cron,
            notebook=notebook,
            pipeline=pipeline,
            timezone=request.timezone,
            env=request.env,
            params=request.params,
            coalesce=request.coalesce,
            store=store,
        )
    )


def pause(store: Store, name: str) -> schema.ScheduleInfo:
    """Stop a schedule until it is resumed."""
    return schedule_info(scheduler.pause(name, store=store))


def resume(store: Store, name: str) -> schema.ScheduleInfo:
    """Let a paused schedule run again from its next tick."""
    return schedule_info(scheduler.resume(name, store=store))


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
