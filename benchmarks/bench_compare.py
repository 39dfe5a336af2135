"""Compare benchmark: opening the lab's compare view of 100 runs x 1,000 points (issue 19).

The view opens on one request, the comparison with its first curve
(``runs/compare?run=...&curves=1&max_points=1000``); picking another metric asks for that
curve alone. Measured through a real Jupyter server (subprocess, random port and token) and
as the service function alone, and for longer histories thinned to 1,000 points per run.

Anchors, in the same run: the budget (the chart opens in under 1 s, server's part well
under it) and the floor, SQLite's own read of the same points with ``sqlite3`` (no server,
no JSON): what no server can beat. Prints the median and 90th percentile of ``--repeat``
requests after one warm-up and the ratios of the median to both anchors.

    python benchmarks/bench_compare.py [--runs 100] [--points 1000] [--repeat 10]
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import signal
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import requests
from bench_api import API, free_port, measure, start_server
from sqlalchemy import insert

BUDGET_S = 1.0
MAX_POINTS = 1000


def populate(root: Path, runs: int, points: int) -> list[str]:
    """``runs`` finished runs with ``points`` steps of ``loss`` each (as the browser test)."""
    from jupyter_mlops.config import load_config
    from jupyter_mlops.store import open_store
    from jupyter_mlops.store import runs as q
    from jupyter_mlops.store import tables as t
    from jupyter_mlops.store.metric_chunks import insert_point_rows

    store = open_store(config=load_config(root, environ={}))
    now = time.time() - 10_000
    rows, metrics, latest = [], [], []
    with store.write() as conn:
        experiment_id = q.get_or_create_experiment(conn, "bench-compare")
        for i in range(runs):
            run_id = uuid.uuid4().hex
            start = now + i
            rows.append(
                {
                    "id": run_id,
                    "name": f"run-{i:03d}",
                    "experiment_id": experiment_id,
                    "status": "finished",
                    "start_time": start,
                    "end_time": start + 60,
                    "heartbeat": start + 60,
                    "user_name": "bench",
                    "host": q.HOST,
                    "pid": os.getpid(),
                }
            )
            for step in range(points):
                metrics.append(
                    {
                        "run_id": run_id,
                        "key": "loss",
                        "step": step,
                        "value": math.exp(-step / (200 + i)) + 0.001 * i,
                        "is_nan": False,
                        "timestamp": start + step * 0.05,
                    }
                )
            latest.append(metrics[-1])
        conn.execute(insert(t.runs), rows)
        insert_point_rows(conn, metrics)
        conn.execute(insert(t.latest_metrics), latest)
    store.close()
    return [str(r["id"]) for r in rows]


def floor(root: Path, ids: list[str]) -> None:
    """SQLite's own read of the rows holding every point of the curve: the least any server
    does."""
    with sqlite3.connect(root / ".mlops" / "mlops.db") as db:
        marks = ", ".join("?" * len(ids))
        db.execute(
            "SELECT run_id, step_data, value_data, time_data FROM metric_chunks "
            f"WHERE run_id IN ({marks}) AND key = 'loss'",
            ids,
        ).fetchall()


def report(label: str, samples: list[float], floor_s: float) -> None:
    median = statistics.median(samples)
    p90 = sorted(samples)[max(0, int(len(samples) * 0.9) - 1)]
    print(
        f"{label:<52} median {median * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms   "
        f"/budget {median / BUDGET_S:5.2f}   /floor {median / floor_s:5.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        (root / ".mlops").mkdir(parents=True)
        start = time.perf_counter()
        ids = populate(root, args.runs, args.points)
        total = args.runs * args.points
        took = time.perf_counter() - start
        print(f"{args.runs} runs x {args.points:,} points written in {took:.1f} s (not timed)")
        floor_s = statistics.median(measure(lambda: floor(root, ids), args.repeat))
        print(f"floor: sqlite3 reads the {total:,} points in {floor_s * 1000:.1f} ms")

        from jupyter_mlops.config import load_config
        from jupyter_mlops.services.compare import compare
        from jupyter_mlops.services.schema import CompareQuery
        from jupyter_mlops.store import open_store

        store = open_store(config=load_config(root, environ={}))
        opening = CompareQuery(run=ids, curves=1, max_points=MAX_POINTS)
        report(
            "service: the comparison with its first curve",
            measure(lambda: compare(store, opening).model_dump_json(), args.repeat),
            floor_s,
        )
        store.close()

        token = secrets.token_hex(16)
        port = free_port()
        process = start_server(root, token, port, Path(tmp) / "server.log")
        session = requests.Session()
        session.headers["Authorization"] = f"token {token}"
        url = f"http://127.0.0.1:{port}/{API}/runs/compare"
        queries = [
            ("HTTP: the comparison with its first curve", {"curves": 1}),
            ("HTTP: one curve (another metric picked)", {"curve": "loss"}),
            ("HTTP: the table alone (curves=0)", {"curves": 0}),
        ]
        try:
            for label, extra in queries:
                params = {"run": ids, "max_points": MAX_POINTS, **extra}
                checked = session.get(url, params=params, timeout=60)
                checked.raise_for_status()
                assert len(checked.json()["runs"]) == args.runs

                # Until the whole body is in (the browser's part, parsing it, is not timed).
                def get(params: dict[str, object] = params) -> None:
                    session.get(url, params=params, timeout=60).raise_for_status()

                report(label, measure(get, args.repeat), floor_s)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
