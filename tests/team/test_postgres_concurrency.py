"""What a team does at once to one PostgreSQL store: many trackers, two schedulers, two
promotions of one stage. Real processes (forked, so they start in milliseconds) on a real
server; each waits at a barrier so they really collide."""

from __future__ import annotations

import multiprocessing as mp
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from sklearn.dummy import DummyClassifier
from sqlalchemy import select

import jupyter_mlops as mlops
from jupyter_mlops import models, scheduler
from jupyter_mlops.errors import ConflictError
from jupyter_mlops.scheduler import claims
from jupyter_mlops.store import Store, open_store
from jupyter_mlops.store import schedules as schedule_rows
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.metric_chunks import read_curves

# In an empty folder (store_dir): runs capture the git state of where they start.
pytestmark = [
    pytest.mark.parametrize("backend", ["postgresql"]),
    pytest.mark.usefixtures("store_dir"),
]

FORK = mp.get_context("fork")
T0 = 1_800_000_000.0  # a fixed clock: 2027-01-15 08:00 UTC, on the hour


def _fresh_locks() -> None:
    """A forked child copies locks as they were: one a parent thread (the flusher) held at
    that instant would stay held. Start the process-wide ones afresh."""
    from jupyter_mlops.store import core
    from jupyter_mlops.tracking import active, environment, flusher

    flusher.FLUSHER.__init__()  # type: ignore[misc]
    active._stack_lock = threading.Lock()
    environment._scan_lock = threading.Lock()
    environment._env_lock = threading.Lock()
    core._current_lock = threading.Lock()


def _child(
    work: Callable[..., Any], uri: str, objects: str, barrier: Any, out: Any, *args: Any
) -> None:
    try:
        _fresh_locks()
        store = open_store(uri, objects)
        barrier.wait(timeout=60)
        out.put(("ok", work(store, *args)))
        store.close()
    except BaseException as exc:
        out.put(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


def run_at_once(store: Store, tmp_path: Path, work: Callable[..., Any], args: list[tuple]) -> list:
    """Run ``work(store, *a)`` for each ``a`` in its own process, all released together."""
    barrier = FORK.Barrier(len(args))
    out = FORK.Queue()
    objects = str(tmp_path / "m-objects")
    procs = [
        FORK.Process(target=_child, args=(work, store.uri, objects, barrier, out, *a)) for a in args
    ]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    return results


# -- 8 processes tracking ---------------------------------------------------------------


def _track(store: Store, i: int) -> str:
    with mlops.start_run(f"worker-{i}", experiment="team", store=store) as run:
        run.log_params({"worker": i, "lr": 0.1})
        for step in range(200):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
            if step % 50 == 49:
                run.flush()
        run.log_metric("done", 1.0)
    return run.id


def test_eight_processes_tracking_at_once_lose_nothing(store: Store, tmp_path: Path) -> None:
    results = run_at_once(store, tmp_path, _track, [(i,) for i in range(8)])
    assert [status for status, _ in results] == ["ok"] * 8, results
    frame = mlops.search_runs(store=store, experiments="team", order_by="params.worker")
    assert list(frame["status"]) == ["finished"] * 8
    assert list(frame["params.worker"]) == [str(i) for i in range(8)]
    assert list(frame["metrics.loss"]) == [1.0 / 200] * 8
    with store.read() as conn:
        curves = read_curves(conn, conn.execute(select(t.runs.c.id)).scalars().all(), "loss")
        experiments = conn.execute(select(t.experiments.c.name)).scalars().all()
    per_run = [(len(c.steps), max(c.steps)) for c in curves.values()]
    assert sorted(per_run) == [(200, 199)] * 8
    assert experiments == ["team"]


# -- two schedulers ---------------------------------------------------------------------


def _schedule_loop(store: Store, ids: list[int], hours: int) -> list[tuple[int, float]]:
    """One scheduler: every hour, claim what is due and finish it at once (a quick notebook)."""
    won: list[tuple[int, float]] = []
    for hour in range(1, hours + 1):
        for schedule_id in ids:
            for claim in claims.claim_due(store, schedule_id, T0 + 3600 * hour):
                won.append((claim.schedule_id, claim.tick))
                ended = T0 + 3600 * hour
                schedule_rows.record(store, claim.schedule_run_id, status="ok", ended=ended)
    return won


def test_two_schedulers_on_one_store_run_each_tick_once(store: Store, tmp_path: Path) -> None:
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "nb.ipynb")
    ids = [
        scheduler.add(
            f"s{i}", notebook=str(tmp_path / "nb.ipynb"), cron="0 * * * *", store=store,
            now=lambda: T0,
        ).id
        for i in range(6)
    ]  # fmt: skip
    results = run_at_once(store, tmp_path, _schedule_loop, [(ids, 4), (ids, 4)])
    assert [status for status, _ in results] == ["ok", "ok"], results
    claimed = [tuple(tick) for _, won in results for tick in won]
    assert len(claimed) == len(set(claimed))  # no tick went to both schedulers
    with store.read() as conn:
        rows = conn.execute(
            select(t.schedule_runs.c.schedule_id, t.schedule_runs.c.tick, t.schedule_runs.c.status)
        ).all()
    expected = {(sid, T0 + 3600 * h) for sid in ids for h in range(1, 5)}
    assert sorted((r[0], r[1]) for r in rows) == sorted(expected)
    # A tick is either run by one scheduler or (its predecessor still running) skipped.
    ran = {(r[0], r[1]) for r in rows if r[2] == "ok"}
    assert ran == set(claimed)
    assert {r[2] for r in rows} <= {"ok", "skipped"}


# -- two users promoting one stage --------------------------------------------------------


def _promote_after_barrier(store: Store, version: int, gate: Any) -> str:
    from jupyter_mlops.models import evaluation

    evaluate = evaluation.evaluate_all

    def both_have_read(*args: Any, **kwargs: Any) -> Any:
        # Both users have read the current holder; release them to write together.
        gate.wait(timeout=60)
        return evaluate(*args, **kwargs)

    evaluation.evaluate_all = both_have_read
    try:
        models.promote(
            "churn",
            version,
            to="production",
            user=f"user{version}",
            store=store,
            checks=["version >= 1"],
        )
    except ConflictError as exc:
        return f"conflict: {exc}"
    return "promoted"


def test_two_users_promoting_one_stage_one_wins_one_conflicts(store: Store, tmp_path: Path) -> None:
    fitted = DummyClassifier().fit([[0], [1]], [0, 1])
    for _ in range(3):
        models.register(fitted, "churn", store=store)
    models.promote("churn", 1, to="production", store=store, checks=["version >= 1"])
    gate = FORK.Barrier(2)
    results = run_at_once(store, tmp_path, _promote_after_barrier, [(2, gate), (3, gate)])
    outcomes = sorted(value.split(":")[0] for status, value in results if status == "ok")
    assert outcomes == ["conflict", "promoted"], results
    events = models.events("churn", store=store)
    assert sorted(e.outcome for e in events[1:]) == ["conflict", "promoted"]
    winner = next(e for e in events if e.outcome == "promoted" and e.from_version == 1)
    loser = next(e for e in events if e.outcome == "conflict")
    assert winner.to_version != loser.to_version
    assert models.get("models:/churn@production", store=store).version == winner.to_version
