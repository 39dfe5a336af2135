"""Metric histories kept as chunks (revision 0012): what a reader sees is every point, in the
order MLflow's history gives, whatever writes and rows they came in."""

from __future__ import annotations

import math
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select

import jupyter_mlops as mlops
from jupyter_mlops.store import Store, open_store
from jupyter_mlops.store import metric_history as mh
from jupyter_mlops.store import runs as q
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.metric_chunks import MAX_CHUNK


def new_run(store: Store) -> str:
    now = time.time()
    row = {"id": uuid.uuid4().hex, "name": "r", "status": "running", "start_time": now}
    with store.write() as conn:
        row["experiment_id"] = q.get_or_create_experiment(conn, "e")
        q.insert_run(conn, {**row, "heartbeat": now})
    return str(row["id"])


def write(store: Store, run_id: str, points: list[tuple[str, int, float, float]]) -> None:
    with store.write() as conn:
        q.write_batch(store, conn, run_id, params={}, tags={}, metrics=points)


def test_points_of_many_writes_read_by_step_then_time_ties_in_the_order_logged(
    store: Store,
) -> None:
    run_id = new_run(store)
    write(store, run_id, [("loss", 2, 0.5, 20.0), ("loss", 0, 1.0, 10.0), ("acc", 0, 0.1, 10.0)])
    # Step 1 at the same time twice across two writes, and step 0 again later.
    write(store, run_id, [("loss", 1, 0.8, 15.0), ("loss", 0, 0.9, 11.0)])
    write(store, run_id, [("loss", 1, 0.7, 15.0), ("loss", 3, math.nan, 30.0)])
    history = mh.metric_history(store, run_id, "loss")
    assert [(p.step, p.timestamp) for p in history] == [
        (0, 10.0),
        (0, 11.0),
        (1, 15.0),
        (1, 15.0),
        (2, 20.0),
        (3, 30.0),
    ]
    assert [p.value for p in history][:5] == [1.0, 0.9, 0.8, 0.7, 0.5]
    assert math.isnan(history[5].value)
    columns = mh.metric_columns(store, [run_id], "loss")[run_id]
    assert columns.steps == [p.step for p in history]
    assert columns.timestamps == [p.timestamp for p in history]
    assert [p.value for p in history][:5] == columns.values[:5]
    # The latest value is MLflow's: the largest step, though it is NaN.
    assert math.isnan(q.load_run(store, run_id).metrics["loss"])
    assert mh.metrics_with_history(store, [run_id]) == {"loss"}


def test_a_metric_logged_once_in_each_of_two_writes_has_a_history(store: Store) -> None:
    run_id = new_run(store)
    write(store, run_id, [("auc", 0, 0.7, 1.0), ("f1", 0, 0.2, 1.0)])
    assert mh.metrics_with_history(store, [run_id]) == set()
    write(store, run_id, [("auc", 1, 0.8, 2.0)])
    assert mh.metrics_with_history(store, [run_id]) == {"auc"}


def test_a_write_longer_than_a_chunk_reads_back_whole(store: Store) -> None:
    run_id = new_run(store)
    n = MAX_CHUNK * 2 + 7
    write(store, run_id, [("loss", i, i / n, float(i)) for i in range(n)])
    history = mh.metric_history(store, run_id, "loss")
    assert [p.step for p in history] == list(range(n))
    assert history[-1].value == (n - 1) / n
    with store.read() as conn:
        rows = conn.execute(select(func.count()).select_from(t.metric_chunks)).scalar()
    assert rows == 3


def test_a_hundred_thousand_points_take_less_than_half_the_disk_of_a_row_each(
    tmp_path: Path,
) -> None:
    db = tmp_path / "mlops.db"
    store = open_store(f"sqlite:///{db}", str(tmp_path / "objects"))
    run_id = new_run(store)
    empty = db.stat().st_size
    for batch in range(100):
        points = [(f"k{k % 10}", batch * 100 + k // 10, k / 1000, 1e9 + k) for k in range(1000)]
        write(store, run_id, points)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    grown = db.stat().st_size - empty
    # A row per point (revision 0011) took 11.4 MB for the same points; chunks of 100
    # points (a 2.4 KB row, one to a 4 KB page) take 4.5 MB.
    assert grown < 11_423_744 / 2, f"{grown:,} bytes for 100,000 points"
    again = open_store(f"sqlite:///{db}", str(tmp_path / "objects"))
    assert len(mh.metric_history(again, run_id, "k3")) == 10_000
    again.close()


def test_a_deleted_runs_chunks_go_with_it(store: Store) -> None:
    kept, gone = new_run(store), new_run(store)
    write(store, kept, [("loss", 0, 1.0, 1.0)])
    write(store, gone, [("loss", 0, 2.0, 1.0)])
    q.delete_run(store, gone)
    with store.read() as conn:
        left = conn.execute(select(t.metric_chunks.c.run_id)).scalars().all()
    assert left == [kept]


def chunks(store: Store, run_id: str) -> dict[str, list[int]]:
    """key -> the points of each of its rows, in order."""
    c = t.metric_chunks.c
    with store.read() as conn:
        rows = conn.execute(
            select(c.key, c.points).where(c.run_id == run_id).order_by(c.key, c.id)
        ).all()
    found: dict[str, list[int]] = {}
    for key, points in rows:
        found.setdefault(key, []).append(points)
    return found


def test_a_run_logged_a_point_at_a_time_reads_as_one_row_per_metric_once_it_ends(
    store: Store,
) -> None:
    run = mlops.start_run("slow", store=store)
    logged = []
    for i in range(40):
        # Step 5 again at the same time, and a NaN: order and value survive the merge.
        step = 5 if i == 20 else i
        value = math.nan if i == 30 else i / 40
        run.log_metrics({"loss": value, "acc": 1 - i / 40}, step=step)
        run.flush()  # a write per step, as a slow training loop's flushes
        logged.append((step, value))
    before = [(p.step, p.value) for p in mh.metric_history(store, run.id, "loss")]
    assert chunks(store, run.id) == {"acc": [1] * 40, "loss": [1] * 40}
    run.end()
    assert chunks(store, run.id) == {"acc": [40], "loss": [40]}
    after = [(p.step, p.value) for p in mh.metric_history(store, run.id, "loss")]
    assert len(after) == 40 and math.isnan(after[-10][1])
    assert [(s, v) for s, v in after if v == v] == [(s, v) for s, v in before if v == v]
    assert after[5:7] == [(5, 5 / 40), (5, 20 / 40)]  # logged order kept for the tie
    assert q.load_run(store, run.id).metrics["acc"] == 1 - 39 / 40


def test_rows_that_are_full_already_are_left_as_they_are(store: Store) -> None:
    run_id = new_run(store)
    write(store, run_id, [("loss", i, 0.5, float(i)) for i in range(MAX_CHUNK)])
    write(store, run_id, [("loss", MAX_CHUNK + i, 0.1, 1e6 + i) for i in range(5)])
    write(store, run_id, [("f1", 0, 0.2, 1.0)])
    with store.read() as conn:
        ids = conn.execute(select(t.metric_chunks.c.id).order_by(t.metric_chunks.c.id)).all()
    with store.write() as conn:
        q.set_status(conn, run_id, "finished", end_time=time.time(), error=None)
    with store.read() as conn:
        same = conn.execute(select(t.metric_chunks.c.id).order_by(t.metric_chunks.c.id)).all()
    assert same == ids  # two rows for 10,005 points: nothing to merge
    # A third row is one too many: the two small ones merge.
    write(store, run_id, [("loss", MAX_CHUNK + 5, 0.1, 2e6)])
    with store.write() as conn:
        q.set_status(conn, run_id, "killed", end_time=time.time(), error=None)
    assert chunks(store, run_id) == {"f1": [1], "loss": [MAX_CHUNK, 6]}
    steps = [p.step for p in mh.metric_history(store, run_id, "loss")]
    assert steps == list(range(MAX_CHUNK + 6))
