"""Claiming ticks and reaping abandoned schedule runs.

A tick is claimed by inserting the ``(schedule_id, tick)`` row into ``schedule_runs`` inside a
write transaction (``BEGIN IMMEDIATE`` on SQLite; on PostgreSQL the schedule's row is locked
``FOR UPDATE`` first). The unique constraint makes a second scheduler's insert fail, so each
tick runs once however many schedulers share the store.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from jupyter_mlops.scheduler.cron import due_ticks, next_tick
from jupyter_mlops.store import Store
from jupyter_mlops.store import runs as q
from jupyter_mlops.store import tables as t

HOST = q.HOST

#: A running schedule run with no produced run and no live process we can check is given up
#: after this many seconds (a scheduler on another host that died before starting its run).
CLAIM_STALE_AFTER = 6 * 3600.0


def owner() -> str:
    """What ``claimed_by`` says about this process: ``host:pid``."""
    return f"{HOST}:{os.getpid()}"


@dataclass(frozen=True)
class Claim:
    """A tick this process won: run it, then :func:`finish` it."""

    schedule_run_id: int
    schedule_id: int
    schedule_name: str
    tick: float


def _running_of(conn: Connection, schedule_id: int) -> Any:
    return conn.execute(
        select(t.schedule_runs.c.id, t.schedule_runs.c.tick).where(
            t.schedule_runs.c.schedule_id == schedule_id,
            t.schedule_runs.c.status == "running",
        )
    ).first()


def claim_due(store: Store, schedule_id: int, now: float) -> list[Claim]:
    """Claim what is due of one schedule at ``now``; ticks another scheduler took are skipped.

    Missed ticks are coalesced into the newest one unless the schedule says otherwise (then
    each runs, the newest :data:`~jupyter_mlops.scheduler.cron.MAX_CATCHUP` of them). A tick
    that comes while the schedule's previous run is still running is recorded ``skipped``.
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
            ticks = due_ticks(row.cron, row.timezone, row.next_due, now)
            if row.coalesce:
                ticks = ticks[-1:]
            busy = _running_of(conn, schedule_id)
            for tick in ticks:
                if busy is not None:
                    conn.execute(
                        insert(t.schedule_runs).values(
                            schedule_id=schedule_id,
                            tick=tick,
                            status="skipped",
                            claimed_by=owner(),
                            started=now,
                            ended=now,
                            error=f"skipped: the run of the previous tick ({busy.tick:.0f}) "
                            "was still running",
                        )
                    )
                    continue
                result = conn.execute(
                    insert(t.schedule_runs).values(
                        schedule_id=schedule_id,
                        tick=tick,
                        status="running",
                        claimed_by=owner(),
                        started=now,
                    )
                )
                key = result.inserted_primary_key
                assert key is not None
                claims.append(Claim(int(key[0]), schedule_id, row.name, tick))
            conn.execute(
                update(t.schedules)
                .where(t.schedules.c.id == schedule_id)
                .values(
                    next_due=next_tick(row.cron, row.timezone, max(ticks[-1], now)),
                    last_tick=ticks[-1],
                )
            )
    except IntegrityError:
        return []  # another scheduler claimed this tick first
    return claims


def claim_now(store: Store, schedule_id: int, now: float) -> Claim | None:
    """Claim a manual run at ``now`` (``run-now``); None when the schedule is running."""
    try:
        with store.write() as conn:
            row = conn.execute(
                select(t.schedules).where(t.schedules.c.id == schedule_id).with_for_update()
            ).one()
            if _running_of(conn, schedule_id) is not None:
                return None
            result = conn.execute(
                insert(t.schedule_runs).values(
                    schedule_id=schedule_id,
                    tick=now,
                    status="running",
                    claimed_by=owner(),
                    started=now,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return Claim(int(key[0]), schedule_id, row.name, now)
    except IntegrityError:
        return None


def record(store: Store, schedule_run_id: int, **values: Any) -> None:
    """Update fields of one schedule run (``run_id``, ``status``, ``output_notebook``...)."""
    with store.write() as conn:
        conn.execute(
            update(t.schedule_runs).where(t.schedule_runs.c.id == schedule_run_id).values(**values)
        )


def _abandoned(row: Any, run_status: str | None, now: float) -> str | None:
    host, _, pid = (row.claimed_by or "").rpartition(":")
    if host == HOST and pid.isdigit() and not q.pid_alive(int(pid)):
        return f"abandoned: the scheduler process {row.claimed_by} died"
    if run_status is not None and run_status != "running":
        return f"abandoned: its run ended {run_status} without the scheduler recording it"
    if row.run_id is None and row.pipeline_run_id is None and row.started < now - CLAIM_STALE_AFTER:
        return f"abandoned: no run started within {CLAIM_STALE_AFTER:.0f} s of the claim"
    return None


def reap(store: Store, now: float) -> list[int]:
    """Mark ``killed`` the running schedule runs whose scheduler died; return their ids.

    A run is abandoned when its scheduler was on this host and its process is gone, when the
    run it produced was ended (the tracking reaper kills runs whose heartbeat stopped), or
    when nothing was started long after the claim.
    """
    q.reap_stale_runs(store)
    with store.read() as conn:
        rows = conn.execute(
            select(t.schedule_runs, t.runs.c.status.label("run_status"))
            .select_from(t.schedule_runs.outerjoin(t.runs, t.runs.c.id == t.schedule_runs.c.run_id))
            .where(t.schedule_runs.c.status == "running")
        ).all()
    dead = [(row.id, why) for row in rows if (why := _abandoned(row, row.run_status, now))]
    if not dead:
        return []
    with store.write() as conn:
        for run_id, why in dead:
            conn.execute(
                update(t.schedule_runs)
                .where(t.schedule_runs.c.id == run_id, t.schedule_runs.c.status == "running")
                .values(status="killed", ended=now, error=why)
            )
    return [run_id for run_id, _ in dead]
