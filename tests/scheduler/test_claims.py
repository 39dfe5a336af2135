"""Claiming ticks: once per tick, no overlap, coalescing, reaping (no notebooks run here)."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select, update

from jupyter_mlops import scheduler
from jupyter_mlops.scheduler import claims
from jupyter_mlops.scheduler.cron import MAX_CATCHUP
from jupyter_mlops.store import Store
from jupyter_mlops.store import tables as t

from .conftest import Clock


def _rows(store: Store) -> list[tuple[float, str]]:
    with store.read() as conn:
        return [
            (r.tick, r.status)
            for r in conn.execute(select(t.schedule_runs).order_by(t.schedule_runs.c.tick))
        ]


def _add(store: Store, make_notebook, clock: Clock, **kw) -> scheduler.Schedule:
    make_notebook("nb.ipynb")
    return scheduler.add("s", notebook="nb.ipynb", cron="0 * * * *", store=store, now=clock, **kw)


def test_nothing_due_before_the_tick(store: Store, make_notebook, clock: Clock) -> None:
    sched = _add(store, make_notebook, clock)
    assert claims.claim_due(store, sched.id, clock()) == []


def test_a_tick_is_claimed_once(store: Store, make_notebook, clock: Clock) -> None:
    sched = _add(store, make_notebook, clock)
    clock.advance(3600)
    first = claims.claim_due(store, sched.id, clock())
    assert [c.tick for c in first] == [sched.next_due]
    assert claims.claim_due(store, sched.id, clock()) == []
    assert _rows(store) == [(sched.next_due, "running")]


def test_missed_ticks_coalesce(store: Store, make_notebook, clock: Clock) -> None:
    sched = _add(store, make_notebook, clock)
    clock.advance(5 * 3600 + 60)
    got = claims.claim_due(store, sched.id, clock())
    assert len(got) == 1
    assert got[0].tick == sched.next_due + 4 * 3600  # the newest missed tick
    assert scheduler.get("s", store=store).next_due == sched.next_due + 5 * 3600


def test_no_coalesce_runs_each_tick_capped(store: Store, make_notebook, clock: Clock) -> None:
    sched = _add(store, make_notebook, clock, coalesce=False)
    clock.advance(3 * 3600 + 60)
    assert len(claims.claim_due(store, sched.id, clock())) == 3
    sched2 = scheduler.get("s", store=store)
    with store.write() as conn:
        conn.execute(update(t.schedule_runs).values(status="finished"))
    clock.advance(48 * 3600)
    got = claims.claim_due(store, sched2.id, clock())
    assert len(got) == MAX_CATCHUP
    assert got[-1].tick <= clock()


def test_a_running_schedule_skips_the_next_tick(store: Store, make_notebook, clock: Clock) -> None:
    sched = _add(store, make_notebook, clock)
    clock.advance(3600)
    claims.claim_due(store, sched.id, clock())
    clock.advance(3600)
    assert claims.claim_due(store, sched.id, clock()) == []
    rows = scheduler.runs("s", store=store)
    assert [r.status for r in rows] == ["skipped", "running"]
    assert rows[0].error is not None and rows[0].error.startswith(
        "skipped: the run of the previous tick"
    )


def test_paused_schedule_is_not_claimed(store: Store, make_notebook, clock: Clock) -> None:
    sched = _add(store, make_notebook, clock)
    scheduler.pause("s", store=store, now=clock)
    clock.advance(3600)
    assert claims.claim_due(store, sched.id, clock()) == []


def test_dead_scheduler_is_reaped(store: Store, make_notebook, clock: Clock) -> None:
    sched = _add(store, make_notebook, clock)
    clock.advance(3600)
    claims.claim_due(store, sched.id, clock())
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    with store.write() as conn:
        conn.execute(
            update(t.schedule_runs).values(claimed_by=f"{claims.HOST}:{dead.stdout.strip()}")
        )
    assert len(claims.reap(store, clock())) == 1
    (row,) = scheduler.runs("s", store=store)
    assert row.status == "killed"
    assert row.error is not None and row.error.startswith("abandoned: the scheduler process")
    # the schedule is no longer blocked
    clock.advance(3600)
    assert len(claims.claim_due(store, sched.id, clock())) == 1


def test_stale_claim_on_another_host_is_reaped(store: Store, make_notebook, clock: Clock) -> None:
    sched = _add(store, make_notebook, clock)
    clock.advance(3600)
    claims.claim_due(store, sched.id, clock())
    with store.write() as conn:
        conn.execute(update(t.schedule_runs).values(claimed_by="elsewhere:1"))
    assert claims.reap(store, clock() + 60) == []
    assert len(claims.reap(store, clock() + claims.CLAIM_STALE_AFTER + 1)) == 1
