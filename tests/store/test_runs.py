"""Runs in the store: batched writes, stale-run reaping, reading back, and many writers at once."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jupyter_mlops.store import Store
from jupyter_mlops.store import metric_history as mh
from jupyter_mlops.store import runs as q
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.metric_chunks import read_curves


def insert_run(store: Store, **values: object) -> str:
    """A ``running`` run written the way another process or host would have left it."""
    now = time.time()
    row = {
        "id": uuid.uuid4().hex,
        "name": "r",
        "status": "running",
        "start_time": now,
        "heartbeat": now,
        "host": q.HOST,
        "pid": os.getpid(),
        **values,
    }
    with store.write() as conn:
        row["experiment_id"] = q.get_or_create_experiment(conn, "e")
        q.insert_run(conn, row)
    return str(row["id"])


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# -- write_batch ------------------------------------------------------------------


def test_write_batch_upserts_params_and_tags_and_keeps_the_latest_metric(store: Store) -> None:
    run_id = insert_run(store)
    with store.write() as conn:
        q.write_batch(
            store,
            conn,
            run_id,
            params={"C": "0.5"},
            tags={"owner": "ana"},
            metrics=[("loss", 0, 1.0, 10.0), ("loss", 2, 0.5, 11.0), ("loss", 1, 0.7, 12.0)],
        )
    with store.write() as conn:
        q.write_batch(
            store,
            conn,
            run_id,
            params={"C": "1.0"},
            tags={"owner": "bo"},
            metrics=[("loss", 1, 0.6, 13.0)],  # an older step does not replace the latest
        )
    run = q.load_run(store, run_id)
    assert run.params == {"C": "1.0"}
    assert run.tags == {"owner": "bo"}
    assert run.metrics == {"loss": 0.5}
    steps = [(p.step, p.value) for p in mh.metric_history(store, run_id, "loss")]
    assert steps == [(0, 1.0), (1, 0.7), (1, 0.6), (2, 0.5)]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 0.0, -1e300])
def test_write_batch_round_trips_special_floats(store: Store, value: float) -> None:
    run_id = insert_run(store)
    with store.write() as conn:
        q.write_batch(store, conn, run_id, params={}, tags={}, metrics=[("m", 0, value, 1.0)])
    latest = q.load_run(store, run_id).metrics["m"]
    history = mh.metric_history(store, run_id, "m")[0].value
    for got in (latest, history):
        assert (math.isnan(got) and math.isnan(value)) or got == value


def test_metric_columns_read_many_runs_by_step_then_time_as_the_history_does(
    store: Store,
) -> None:
    a, b, silent = insert_run(store), insert_run(store), insert_run(store)
    with store.write() as conn:
        # Step 1 twice, the later point logged first; a NaN; b's points out of order.
        points = [("loss", 0, 1.0, 10.0), ("loss", 1, 0.6, 13.0), ("loss", 1, 0.7, 12.0)]
        points += [("loss", 2, math.nan, 14.0), ("loss", 3, math.inf, 15.0)]
        q.write_batch(store, conn, a, params={}, tags={}, metrics=points)
        q.write_batch(
            store,
            conn,
            b,
            params={},
            tags={},
            metrics=[("loss", 5, 2.0, 1.0), ("loss", 4, 3.0, 2.0), ("acc", 0, 0.5, 3.0)],
        )
    found = mh.metric_columns(store, [a, b, silent], "loss")
    assert list(found) == [a, b, silent]
    history = mh.metric_history(store, a, "loss")
    assert found[a].steps == [p.step for p in history] == [0, 1, 1, 2, 3]
    assert found[a].timestamps == [p.timestamp for p in history] == [10.0, 12.0, 13.0, 14.0, 15.0]
    values = found[a].values
    assert values[:2] == [1.0, 0.7] and math.isnan(values[3]) and values[4] == math.inf
    assert (found[b].steps, found[b].values) == ([4, 5], [3.0, 2.0])  # acc is not loss
    assert (found[silent].steps, found[silent].values, found[silent].timestamps) == ([], [], [])


def test_resolve_all_names_each_ref_in_order_and_says_which_name_none(store: Store) -> None:
    a = insert_run(store, name="alpha")
    b = insert_run(store, name="beta")
    ids, missing = q.resolve_all(store, [b, "alpha", a[:8], "ghost"])
    assert ids == [b, a, a]
    [line] = missing
    assert line.startswith("No run 'ghost'")


# -- reaping ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("alive-here", "running"),
        ("dead-here", "killed"),
        ("fresh-elsewhere", "running"),
        ("silent-elsewhere", "killed"),
    ],
)
def test_reaping_marks_only_dead_or_silent_runs_killed(
    store: Store, who: str, expected: str
) -> None:
    stale = time.time() - store.stale_after - 5
    values = {
        "alive-here": {},
        "dead-here": {"pid": dead_pid()},
        "fresh-elsewhere": {"host": "another-host", "pid": 1},
        "silent-elsewhere": {"host": "another-host", "pid": 1, "heartbeat": stale},
    }[who]
    run_id = insert_run(store, **values)
    run = q.load_run(store, run_id)
    assert run.status == expected
    if expected == "killed":
        assert run.end_time == run.heartbeat
        assert "stopped without ending it" in (run.error or "")


def test_reaping_leaves_ended_runs_alone(store: Store) -> None:
    run_id = insert_run(store, pid=dead_pid())
    with store.write() as conn:
        q.set_status(conn, run_id, "finished", end_time=time.time(), error=None)
    assert q.reap_stale_runs(store, force=True) == []
    assert q.load_run(store, run_id).status == "finished"


# -- reading ------------------------------------------------------------------------


def test_load_run_returns_everything_attached(store: Store) -> None:
    run_id = insert_run(store, name="full", git_commit="abc", git_branch="main", git_dirty=False)
    with store.write() as conn:
        q.write_batch(store, conn, run_id, params={"a": "1"}, tags={"t": "x"}, metrics=[])
    run = q.load_run(store, run_id)
    assert (run.name, run.experiment, run.status) == ("full", "e", "running")
    assert (run.git_commit, run.git_branch, run.git_dirty) == ("abc", "main", False)
    assert run.params == {"a": "1"}
    assert run.tags == {"t": "x"}
    assert run.artifacts == run.models == run.inputs == run.cells == []
    assert run.short_id == run_id[:8]


# -- many writers at once -----------------------------------------------------------

# Each child waits at a start line so that all of them write at the same moment.
WRITER = textwrap.dedent(
    """
    import os, sys, time
    import jupyter_mlops as mlops
    from jupyter_mlops.store import open_store

    uri, gate, mode, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    store = open_store(uri, os.path.join(os.path.dirname(gate), "objects"))
    print("ready", flush=True)
    while not os.path.exists(gate):
        time.sleep(0.005)
    if mode == "runs":
        for i in range(n):
            with mlops.start_run(f"r{i}", experiment="many", store=store) as run:
                run.log_param("i", i)
                run.log_metric("m", i)
    else:
        run = mlops.start_run(experiment="points", store=store)
        for i in range(n):
            run.log_metric("m", float(i))
            if mode == "flush" and i % 5 == 4:
                run.flush()
        run.end()
    print("done", flush=True)
    """
)


def run_writers(tmp_path: Path, uri: str, mode: str, n: int, processes: int = 4) -> None:
    gate = tmp_path / "go"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), uri, str(gate), mode, str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        for _ in range(processes)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()  # type: ignore[union-attr]
        gate.touch()
        results = [proc.communicate(timeout=240) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err.lower(), err
        assert out.strip() == "done"


# PostgreSQL's many writers: tests/team/test_postgres_concurrency.py (8 processes, forked).
@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("mode", ["flush", "end"])
def test_four_processes_logging_points_into_one_store_lose_nothing(
    tmp_path: Path, make_store_uri, make_store, mode: str
) -> None:
    run_writers(tmp_path, make_store_uri("shared"), mode, 500)
    store = make_store("shared")
    with store.read() as conn:
        curves = read_curves(conn, conn.execute(select(t.runs.c.id)).scalars().all())
        statuses = conn.execute(select(t.runs.c.status)).scalars().all()
    per_run = [(len(c.steps), min(c.steps), max(c.steps)) for c in curves.values()]
    assert sorted(per_run) == [(500, 0, 499)] * 4
    assert statuses == ["finished"] * 4


def test_four_processes_creating_runs_in_a_new_store_at_once(
    tmp_path: Path, make_store_uri, make_store
) -> None:
    # The store does not exist yet: the children also race to create and migrate it.
    run_writers(tmp_path, make_store_uri("shared", migrated=False), "runs", 25)
    store = make_store("shared")
    with store.read() as conn:
        statuses = conn.execute(select(t.runs.c.status)).scalars().all()
        experiments = conn.execute(select(t.experiments.c.name)).scalars().all()
        points = conn.execute(select(func.sum(t.metric_chunks.c.points))).scalar()
    assert statuses == ["finished"] * 100
    assert experiments == ["many"]
    assert points == 100


def test_run_head_reads_who_a_run_is(store: Store) -> None:
    assert q.run_head(store, "0" * 32) is None
    parent = insert_run(store)
    run_id = insert_run(store, name="child", parent_id=parent, start_time=12.5)
    head = q.run_head(store, run_id)
    assert head is not None
    assert (head.id, head.name, head.experiment, head.status) == (run_id, "child", "e", "running")
    assert (head.start_time, head.parent_id) == (12.5, parent)
