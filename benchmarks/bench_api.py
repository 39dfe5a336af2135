"""REST API benchmark: the runs list's first page over 10,000 runs, through a real Jupyter server.

Anchor (issue 7): the first page answers in under 200 ms, so the Runs panel is usable within
1 s of opening. Measured over HTTP against ``jupyter server`` (subprocess, random port and
token) and, for comparison, the service function alone. Prints the median and 90th percentile
of ``--repeat`` requests after one warm-up, and the ratio of the median to the anchor.

    python benchmarks/bench_api.py [--runs 10000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests
from sqlalchemy import insert

ANCHOR_S = 0.200
API = "mlops/api/v1"


def populate(root: Path, n: int) -> None:
    """``n`` finished runs (3 metrics, 2 params, 1 tag each) in the store of ``root``."""
    from jupyter_mlops.config import load_config
    from jupyter_mlops.store import open_store
    from jupyter_mlops.store import runs as q
    from jupyter_mlops.store import tables as t
    from jupyter_mlops.store.metric_chunks import insert_point_rows

    store = open_store(config=load_config(root, environ={}))
    rng = random.Random(0)
    now = time.time() - n
    runs, params, tags, metrics = [], [], [], []
    with store.write() as conn:
        experiment_id = q.get_or_create_experiment(conn, "bench-api")
        for i in range(n):
            run_id = uuid.uuid4().hex
            start = now + i
            runs.append(
                {
                    "id": run_id,
                    "name": f"run-{i}",
                    "experiment_id": experiment_id,
                    "status": "finished",
                    "start_time": start,
                    "end_time": start + 1,
                    "heartbeat": start + 1,
                    "user_name": "bench",
                    "host": q.HOST,
                    "pid": os.getpid(),
                }
            )
            params += [
                {"run_id": run_id, "key": "C", "value": str(rng.choice((0.1, 1.0, 10.0)))},
                {"run_id": run_id, "key": "solver", "value": "lbfgs"},
            ]
            tags.append({"run_id": run_id, "key": "owner", "value": rng.choice(("ana", "bo"))})
            for key in ("auc", "accuracy", "loss"):
                metrics.append(
                    {
                        "run_id": run_id,
                        "key": key,
                        "step": 0,
                        "value": rng.random(),
                        "is_nan": False,
                        "timestamp": start,
                    }
                )
        conn.execute(insert(t.runs), runs)
        conn.execute(insert(t.params), params)
        conn.execute(insert(t.tags), tags)
        insert_point_rows(conn, metrics)
        conn.execute(insert(t.latest_metrics), metrics)
    store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(root: Path, token: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or "jupyter"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    env["JUPYTER_RUNTIME_DIR"] = str(root.parent / "runtime")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                jupyter,
                "server",
                f"--ServerApp.token={token}",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.root_dir={root}",
                "--ServerApp.jpserver_extensions={'jupyter_mlops.server': True}",
                "--no-browser",
                "--allow-root",
            ],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/{API}/status"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(url, headers={"Authorization": f"token {token}"}, timeout=5).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"jupyter server did not start; see {log}")


def measure(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm-up: statement caches, page cache
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def report(label: str, samples: list[float]) -> None:
    median = statistics.median(samples)
    p90 = sorted(samples)[max(0, int(len(samples) * 0.9) - 1)]
    print(
        f"{label:<46} median {median * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms   "
        f"ratio to {ANCHOR_S * 1000:.0f} ms anchor {median / ANCHOR_S:5.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        (root / ".mlops").mkdir(parents=True)
        start = time.perf_counter()
        populate(root, args.runs)
        print(f"{args.runs} runs written in {time.perf_counter() - start:.1f} s (not timed)")

        from jupyter_mlops.config import load_config
        from jupyter_mlops.services.runs import search_page
        from jupyter_mlops.services.schema import RunQuery
        from jupyter_mlops.store import open_store

        store = open_store(config=load_config(root, environ={}))
        report(
            "service: first page of 50 (newest first)",
            measure(lambda: search_page(store, RunQuery(limit=50)), args.repeat),
        )
        store.close()

        token = secrets.token_hex(16)
        port = free_port()
        process = start_server(root, token, port, Path(tmp) / "server.log")
        session = requests.Session()
        session.headers["Authorization"] = f"token {token}"
        base = f"http://127.0.0.1:{port}/{API}/runs"
        queries = [
            ("HTTP: first page of 50 (newest first)", {"limit": 50}),
            ("HTTP: first page, filter metrics.auc > 0.9", {"filter": "metrics.auc > 0.9"}),
            ("HTTP: first page, order by metrics.auc desc", {"order": "metrics.auc desc"}),
            ("HTTP: page at offset 5,000", {"offset": 5000}),
        ]
        try:
            for label, params in queries:

                def get(params: dict[str, object] = params) -> None:
                    answer = session.get(base, params=params, timeout=30)
                    answer.raise_for_status()
                    assert answer.json()["total"] > 0

                report(label, measure(get, args.repeat))
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
