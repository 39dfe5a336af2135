"""Metric chunks benchmark: a history logged a point per write, before and after the run ends.

A slow training loop (tracking flushes about once a second) or an MLflow client calling
``log-metric`` per step leaves a chunk row per point; the run's end merges them
(``metric_chunks.compact``). Measured on the embedded SQLite store:

- reading one metric's history (the run page's chart) from one-point rows, then from the
  merged rows; the ratio is what the merge buys;
- the merge itself, against the anchor of the writes it follows (the run's own logging,
  measured in the same run): what ending the run adds;
- the database's size before and after (the merge frees the per-row overhead).

    python benchmarks/bench_metric_chunks.py [--steps 2000] [--keys 10] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from jupyter_mlops.store import Store, open_store
from jupyter_mlops.store import metric_history as mh
from jupyter_mlops.store import runs as q


def new_run(store: Store) -> str:
    now = time.time()
    row = {"id": uuid.uuid4().hex, "name": "slow", "status": "running", "start_time": now}
    with store.write() as conn:
        row["experiment_id"] = q.get_or_create_experiment(conn, "bench")
        q.insert_run(conn, {**row, "heartbeat": now})
    return str(row["id"])


def size(db: Path) -> int:
    """The database's bytes once compacted (VACUUM): what its rows take."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return db.stat().st_size


def read_ms(store: Store, run_id: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        history = mh.metric_history(store, run_id, "k0")
        times.append((time.perf_counter() - started) * 1000)
    assert history, "the history is empty"
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="points per metric")
    parser.add_argument("--keys", type=int, default=10, help="metrics logged at each step")
    parser.add_argument("--repeat", type=int, default=5, help="reads per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "mlops.db"
        store = open_store(f"sqlite:///{db}", str(Path(tmp) / "objects"))
        run_id = new_run(store)
        started = time.perf_counter()
        for step in range(args.steps):
            points = [(f"k{k}", step, step / args.steps, 1e9 + step) for k in range(args.keys)]
            with store.write() as conn:
                q.write_batch(store, conn, run_id, params={}, tags={}, metrics=points)
        writes_s = time.perf_counter() - started
        before_ms, before_bytes = read_ms(store, run_id, args.repeat), size(db)
        started = time.perf_counter()
        with store.write() as conn:
            q.set_status(conn, run_id, "finished", end_time=time.time(), error=None)
        merge_ms = (time.perf_counter() - started) * 1000
        after_ms, after_bytes = read_ms(store, run_id, args.repeat), size(db)
        store.close()
    points = args.steps * args.keys
    print(f"{args.keys} metrics x {args.steps} steps, a write per step ({points:,} points)")
    print(f"  anchor: the run's {args.steps:,} writes     {writes_s * 1000:9.1f} ms")
    print(f"  merge at the run's end              {merge_ms:9.1f} ms  "
          f"({merge_ms / (writes_s * 1000):.1%} of the writes)")  # fmt: skip
    print(f"  read one history, a row per point   {before_ms:9.2f} ms")
    print(f"  read one history, merged            {after_ms:9.2f} ms  "
          f"({before_ms / after_ms:.1f}x faster)")  # fmt: skip
    print(f"  database, a row per point           {before_bytes / 1e6:9.2f} MB")
    print(f"  database, merged                    {after_bytes / 1e6:9.2f} MB  "
          f"({before_bytes / after_bytes:.1f}x smaller)")  # fmt: skip


if __name__ == "__main__":
    main()
