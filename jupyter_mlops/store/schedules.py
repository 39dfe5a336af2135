"""Schedules and their runs (ticks): reading, writing, and claiming a tick once.

A tick is claimed by inserting the ``(schedule_id, tick)`` row into ``schedule_runs`` inside
a write transaction (``BEGIN IMMEDIATE`` on SQLite; on PostgreSQL the schedule's row is
locked ``FOR UPDATE`` first). The unique constraint makes a second scheduler's insert fail,
so each tick runs once however many schedulers share the store. What is due and when the
next tick comes is the scheduler's to say: :func:`claim_due` asks its ``plan``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store
from jupyter_mlops.store.order import code_point


@dataclass(frozen=True)
class Schedule:
    """One schedule as stored."""

    id: int
    name: str
    target_kind: str  # notebook | pipeline
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

    @classmethod
    def from_row(cls, row: Any) -> Schedule:
        return cls(
            id=int(row.id),
            name=row.name,
            target_kind=row.target_kind,
            target=row.target,
            cron=row.cron,
            timezone=row.timezone,
            env=row.env,
            params=json.loads(row.params) if row.params else {},
            monitor=json.loads(row.monitor) if row.monitor else None,
            enabled=bool(row.enabled),
            coalesce=bool(row.coalesce),
            next_due=row.next_due,
            last_tick=row.last_tick,
        )


@dataclass(frozen=True)
class ScheduleRun:
    """One tick of a schedule: what ran, how it ended and what it produced."""

    id: int
    schedule: str
    tick: float
    status: str  # running | finished | failed | skipped | killed
    started: float | None
    ended: float | None
    run_id: str | None
    pipeline_run_id: str | None
    output_notebook: str | None
    error: str | None
    actions: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Claim:
    """A tick this process won: run it, then record how it ended."""

    schedule_run_id: int
    schedule_id: int
    schedule_name: str
    tick: float


@dataclass(frozen=True)
class Running:
    """A schedule run still marked running, with the status of the run it produced."""

    id: int
    claimed_by: str | None
    started: float
    run_id: str | None
    pipeline_run_id: str | None
    run_status: str | None


#: ``plan(schedule, now)`` -> the ticks due (oldest first) and the next tick after them.
Plan = Callable[[Schedule, float], tuple[list[float], float]]


# -- schedules -------------------------------------------------------------------------------


def insert_schedule(store: Store, values: dict[str, Any]) -> None:
    """Add a schedule (``params`` and ``monitor`` as Python values).

    Raises:
        MlopsUsageError: a schedule of that name exists.
    """
    row = dict(values)
    row["params"] = json.dumps(row.get("params") or {}, sort_keys=True, default=str)
    monitor = row.get("monitor")
    row["monitor"] = json.dumps(monitor, sort_keys=True) if monitor else None
    name = row["name"]
    with store.write() as conn:
        exists = conn.execute(select(t.schedules.c.id).where(t.schedules.c.name == name)).first()
        if exists is not None:
            raise MlopsUsageError(
                f"A schedule named {name!r} exists; remove it first or choose another name."
            )
        conn.execute(t.schedules.insert().values(**row))


def find_schedule(store: Store, name: str) -> Schedule | None:
    """The schedule called ``name``, if any."""
    with store.read() as conn:
        row = conn.execute(select(t.schedules).where(t.schedules.c.name == name)).first()
    return None if row is None else Schedule.from_row(row)


def schedule_by_id(store: Store, schedule_id: int) -> Schedule:
    """The schedule with id ``schedule_id`` (it must exist)."""
    with store.read() as conn:
        row = conn.execute(select(t.schedules).where(t.schedules.c.id == schedule_id)).one()
    return Schedule.from_row(row)


def schedule_names(store: Store, *, limit: int = 20) -> list[str]:
    """Up to ``limit`` schedule names, in code-point order (to suggest them)."""
    with store.read() as conn:
        return [
            str(r[0])
            for r in conn.execute(
                select(t.schedules.c.name).order_by(code_point(t.schedules.c.name)).limit(limit)
            )
        ]


def all_schedules(store: Store) -> list[Schedule]:
    """Every schedule, by name in code-point order."""
    with store.read() as conn:
        rows = conn.execute(select(t.schedules).order_by(code_point(t.schedules.c.name))).all()
    return [Schedule.from_row(r) for r in rows]


def update_schedule(store: Store, schedule_id: int, **values: Any) -> None:
    """Change fields of one schedule (``enabled``, ``next_due``, ``params``...)."""
    if "params" in values:
        values["params"] = json.dumps(values["params"] or {}, sort_keys=True, default=str)
    with store.write() as conn:
        conn.execute(update(t.schedules).where(t.schedules.c.id == schedule_id).values(**values))


def delete_schedule(store: Store, schedule_id: int) -> int:
    """Delete a schedule and its run history; return how many runs of it were deleted."""
    with store.write() as conn:
        gone = conn.execute(
            delete(t.schedule_runs).where(t.schedule_runs.c.schedule_id == schedule_id)
        ).rowcount
        conn.execute(delete(t.schedules).where(t.schedules.c.id == schedule_id))
    return int(gone or 0)


def due_schedule_ids(store: Store, now: float) -> list[int]:
    """Ids of the enabled schedules due at ``now``, soonest first."""
    with store.read() as conn:
        return [
            int(r[0])
            for r in conn.execute(
                select(t.schedules.c.id)
                .where(t.schedules.c.enabled.is_(True), t.schedules.c.next_due <= now)
                .order_by(t.schedules.c.next_due, t.schedules.c.id)
            )
        ]


def soonest_due(store: Store) -> float | None:
    """When the next enabled schedule is due (epoch seconds), if any is."""
    with store.read() as conn:
        soonest = conn.execute(
            select(t.schedules.c.next_due)
            .where(t.schedules.c.enabled.is_(True), t.schedules.c.next_due.is_not(None))
            .order_by(t.schedules.c.next_due)
            .limit(1)
        ).scalar()
    return None if soonest is None else float(soonest)


def monitored_schedules(store: Store) -> dict[str, dict[str, Any]]:
    """The monitor definition of every schedule that has one, by schedule name."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.schedules.c.name, t.schedules.c.monitor).where(
                t.schedules.c.monitor.is_not(None)
            )
        ).all()
    return {str(name): json.loads(monitor) for name, monitor in rows if monitor}


# -- schedule runs ---------------------------------------------------------------------------


def _run_of(row: Any, name: str) -> ScheduleRun:
    return ScheduleRun(
        id=int(row.id),
        schedule=name,
        tick=row.tick,
        status=row.status,
        started=row.started,
        ended=row.ended,
        run_id=row.run_id,
        pipeline_run_id=row.pipeline_run_id,
        output_notebook=row.output_notebook,
        error=row.error,
    )


def schedule_runs(store: Store, schedule: Schedule, *, limit: int | None) -> list[ScheduleRun]:
    """The runs of ``schedule``, newest tick first (at most ``limit``)."""
    stmt = (
        select(t.schedule_runs)
        .where(t.schedule_runs.c.schedule_id == schedule.id)
        .order_by(t.schedule_runs.c.tick.desc(), t.schedule_runs.c.id.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    with store.read() as conn:
        rows = conn.execute(stmt).all()
    return [_run_of(r, schedule.name) for r in rows]


def schedule_run(store: Store, schedule_run_id: int) -> ScheduleRun:
    """One schedule run by id (it must exist)."""
    with store.read() as conn:
        row = conn.execute(
            select(t.schedule_runs, t.schedules.c.name.label("schedule_name"))
            .join(t.schedules, t.schedules.c.id == t.schedule_runs.c.schedule_id)
            .where(t.schedule_runs.c.id == schedule_run_id)
        ).one()
    return _run_of(row, row.schedule_name)


def monitor_run_ids(store: Store, schedule_id: int) -> list[str]:
    """The ids of the runs the ticks of a schedule produced."""
    with store.read() as conn:
        return [
            str(r[0])
            for r in conn.execute(
                select(t.schedule_runs.c.run_id).where(
                    t.schedule_runs.c.schedule_id == schedule_id,
                    t.schedule_runs.c.run_id.is_not(None),
                )
            )
        ]


def record(store: Store, schedule_run_id: int, **values: Any) -> None:
    """Update fields of one schedule run (``run_id``, ``status``, ``output_notebook``...)."""
    with store.write() as conn:
        conn.execute(
            update(t.schedule_runs).where(t.schedule_runs.c.id == schedule_run_id).values(**values)
        )


def _running_of(conn: Connection, schedule_id: int) -> Any:
    return conn.execute(
        select(t.schedule_runs.c.id, t.schedule_runs.c.tick).where(
            t.schedule_runs.c.schedule_id == schedule_id,
            t.schedule_runs.c.status == "running",
        )
    ).first()


def _insert_run(conn: Connection, values: dict[str, Any]) -> int:
    key = conn.execute(insert(t.schedule_runs).values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def claim_due(store: Store, schedule_id: int, now: float, *, plan: Plan, owner: str) -> list[Claim]:
    """Claim what is due of one schedule at ``now``; ticks another scheduler took are skipped.

    ``plan`` says which ticks are due and when the next one comes. A tick that comes while
    the schedule's previous run is still running is recorded ``skipped``.
    """
    claims: list[Claim] = []
    try:
        with store.write() as conn:
            # FOR UPDATE: on PostgreSQL a second scheduler waits here for the first to commit,
            # then reads the advanced next_due (SQLite's BEGIN IMMEDIATE already serialises).
            row = conn.execute(
                select(t.schedules).where(t.schedules.c.id == schedule_id).with_for_update()
            ).first()
            if row is None or not row.enabled or row.next_due is None or row.next_due > now:
                return []
            ticks, next_due = plan(Schedule.from_row(row), now)
            busy = _running_of(conn, schedule_id)
            for tick in ticks:
                values = {"schedule_id": schedule_id, "tick": tick, "claimed_by": owner}
                if busy is not None:
                    why = f"skipped: the run of the previous tick ({busy.tick:.0f}) was still "
                    why += "running"
                    skipped = {"status": "skipped", "started": now, "ended": now, "error": why}
                    _insert_run(conn, {**values, **skipped})
                    continue
                run_id = _insert_run(conn, {**values, "status": "running", "started": now})
                claims.append(Claim(run_id, schedule_id, row.name, tick))
            conn.execute(
                update(t.schedules)
                .where(t.schedules.c.id == schedule_id)
                .values(next_due=next_due, last_tick=ticks[-1])
            )
    except IntegrityError:
        return []  # another scheduler claimed this tick first
    return claims


def claim_now(store: Store, schedule_id: int, now: float, *, owner: str) -> Claim | None:
    """Claim a manual run at ``now`` (``run-now``); None when the schedule is running."""
    try:
        with store.write() as conn:
            row = conn.execute(
                select(t.schedules).where(t.schedules.c.id == schedule_id).with_for_update()
            ).one()
            if _running_of(conn, schedule_id) is not None:
                return None
            values = {"schedule_id": schedule_id, "tick": now, "status": "running"}
            run_id = _insert_run(conn, {**values, "claimed_by": owner, "started": now})
            return Claim(run_id, schedule_id, row.name, now)
    except IntegrityError:
        return None


def running(store: Store) -> list[Running]:
    """Every schedule run marked running, with the status of the run it produced."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.schedule_runs, t.runs.c.status.label("run_status"))
            .select_from(t.schedule_runs.outerjoin(t.runs, t.runs.c.id == t.schedule_runs.c.run_id))
            .where(t.schedule_runs.c.status == "running")
        ).all()
    return [
        Running(r.id, r.claimed_by, r.started, r.run_id, r.pipeline_run_id, r.run_status)
        for r in rows
    ]


def kill(store: Store, dead: Iterable[tuple[int, str]], now: float) -> None:
    """Mark the schedule runs ``(id, why)`` killed, unless they ended meanwhile."""
    with store.write() as conn:
        for run_id, why in dead:
            conn.execute(
                update(t.schedule_runs)
                .where(t.schedule_runs.c.id == run_id, t.schedule_runs.c.status == "running")
                .values(status="killed", ended=now, error=why)
            )
