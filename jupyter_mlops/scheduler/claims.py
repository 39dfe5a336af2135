"""Claiming ticks and reaping abandoned schedule runs.

The store claims a tick once (:func:`jupyter_mlops.store.schedules.claim_due`); this module
says which ticks are due (the cron expression, coalescing) and when a running schedule run
was abandoned by its scheduler.
"""

from __future__ import annotations

import os

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.scheduler.cron import due_ticks, next_tick
from jupyter_mlops.store import Store
from jupyter_mlops.store import runs as q
from jupyter_mlops.store import schedules as s
from jupyter_mlops.store.schedules import Claim

__all__ = ["CLAIM_STALE_AFTER", "HOST", "Claim", "claim_due", "claim_now", "owner", "reap"]

HOST = q.HOST

#: A running schedule run with no produced run and no live process we can check is given up
#: after this many seconds (a scheduler on another host that died before starting its run).
CLAIM_STALE_AFTER = 6 * 3600.0


def owner() -> str:
    """What ``claimed_by`` says about this process: ``host:pid``."""
    return f"{HOST}:{os.getpid()}"


def plan(schedule: s.Schedule, now: float) -> tuple[list[float], float]:
    """The ticks of ``schedule`` due at ``now`` and the next tick after them.

    Missed ticks are coalesced into the newest one unless the schedule says otherwise (then
    each runs, the newest :data:`~jupyter_mlops.scheduler.cron.MAX_CATCHUP` of them).
    """
    assert schedule.next_due is not None
    try:
        ticks = due_ticks(schedule.cron, schedule.timezone, schedule.next_due, now)
        if schedule.coalesce:
            ticks = ticks[-1:]
        return ticks, next_tick(schedule.cron, schedule.timezone, max(ticks[-1], now))
    except ValueError as exc:  # a cron expression stored by an older version that never fires
        raise MlopsUsageError(f"Schedule {schedule.name!r}: {exc}") from None


def claim_due(store: Store, schedule_id: int, now: float) -> list[Claim]:
    """Claim what is due of one schedule at ``now``; ticks another scheduler took are skipped.

    A tick that comes while the schedule's previous run is still running is recorded
    ``skipped``.
    """
    return s.claim_due(store, schedule_id, now, plan=plan, owner=owner())


def claim_now(store: Store, schedule_id: int, now: float) -> Claim | None:
    """Claim a manual run at ``now`` (``run-now``); None when the schedule is running."""
    return s.claim_now(store, schedule_id, now, owner=owner())


def _abandoned(row: s.Running, now: float) -> str | None:
    host, _, pid = (row.claimed_by or "").rpartition(":")
    if host == HOST and pid.isdigit() and not q.pid_alive(int(pid)):
        return f"abandoned: the scheduler process {row.claimed_by} died"
    if row.run_status is not None and row.run_status != "running":
        return f"abandoned: its run ended {row.run_status} without the scheduler recording it"
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
    dead = [(row.id, why) for row in s.running(store) if (why := _abandoned(row, now))]
    if dead:
        s.kill(store, dead, now)
    return [run_id for run_id, _ in dead]
