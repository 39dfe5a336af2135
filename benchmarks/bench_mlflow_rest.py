"""MLflow's REST API served by ``jupyter-mlops server``: ``runs/log-batch`` of 1,000 metrics and
``runs/search`` over 10,000 runs, against MLflow's own server on SQLite in the same run.

Targets (issue 18): log-batch >= 20x faster than MLflow's server, runs/search >= 10x. MLflow's
server needs full MLflow, which the project's environment does not have (mlflow-skinny has no
server): pass ``--mlflow-python PATH`` (an interpreter with MLflow, such as the
``.venv-bench`` that ``benchmarks/_anchor_env.sh`` builds) for the anchor; without it only our
absolute figures are printed. Both servers answer the same raw HTTP requests from this process.

    python benchmarks/bench_mlflow_rest.py [--runs 10000] [--repeats 20] [--mlflow-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
T0 = 1_700_000_000_000

# Fills an MLflow SQLite store with the same runs as ours, in the anchor's interpreter.
ANCHOR_FILL = textwrap.dedent(
    """
    import sys
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient
    uri, runs, t0 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    c = MlflowClient(tracking_uri=uri)
    exp = c.create_experiment("bench")
    for i in range(runs):
        rid = c.create_run(exp, run_name=f"run-{i}", start_time=t0 + i).info.run_id
        c.log_batch(
            rid,
            metrics=[Metric(f"m{k}", ((i * 7919 + k) % 1000) / 1000, t0, 0) for k in range(3)],
            params=[Param(f"p{j}", str((i + j) % 10)) for j in range(5)],
            tags=[RunTag("team", "risk" if i % 2 else "growth")],
        )
        c.set_terminated(rid, "FINISHED", end_time=t0 + i + 1000)
    print(exp)
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited ({process.returncode})")
        try:
            requests.post(f"{url}/api/2.0/mlflow/experiments/search", json={}, timeout=5)
            return
        except requests.ConnectionError:
            time.sleep(0.3)
    raise RuntimeError(f"{url}: the server did not answer")


def fill_ours(root: Path, runs: int) -> None:
    """The same runs as the anchor's, written straight into our store (not timed)."""
    sys.path.insert(0, str(REPO))
    from jupyter_mlops.store import open_store
    from jupyter_mlops.store.runs import get_or_create_experiment, insert_finished_runs

    store = open_store(f"sqlite:///{root / '.mlops' / 'mlops.db'}", str(root / ".mlops/objects"))
    with store.write() as conn:
        exp = get_or_create_experiment(conn, "bench")
        rows, params, metrics = [], [], []
        for i in range(runs):
            rid = uuid.uuid4().hex
            start = (T0 + i) / 1000
            rows.append(
                {
                    "id": rid,
                    "name": f"run-{i}",
                    "experiment_id": exp,
                    "status": "finished",
                    "start_time": start,
                    "end_time": start + 1,
                    "heartbeat": start + 1,
                }
            )
            params += [(rid, f"p{j}", str((i + j) % 10)) for j in range(5)]
            metrics += [(rid, f"m{k}", ((i * 7919 + k) % 1000) / 1000, T0 / 1000) for k in range(3)]
        insert_finished_runs(conn, rows, params, metrics)
        from sqlalchemy import insert

        from jupyter_mlops.store import tables as t

        conn.execute(
            insert(t.tags),
            [
                {"run_id": r["id"], "key": "team", "value": "risk" if i % 2 else "growth"}
                for i, r in enumerate(rows)
            ],
        )
    store.close()


def timed(session: requests.Session, method: str, url: str, body: Any, repeats: int) -> float:
    """The median seconds of ``repeats`` requests (after one warm-up)."""
    data = json.dumps(body)
    headers = {"Content-Type": "application/json"}
    session.request(method, url, data=data, headers=headers, timeout=600).raise_for_status()
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        answer = session.request(method, url, data=data, headers=headers, timeout=600)
        seconds.append(time.perf_counter() - started)
        answer.raise_for_status()
    return statistics.median(seconds)


def measure(url: str, experiment: str, repeats: int) -> dict[str, float]:
    api = f"{url}/api/2.0/mlflow"
    session = requests.Session()
    run = session.post(f"{api}/runs/create", json={"experiment_id": experiment}, timeout=60)
    run.raise_for_status()
    run_id = run.json()["run"]["info"]["run_id"]
    step = iter(range(10**9))

    def batch() -> dict[str, Any]:
        s = next(step)
        return {
            "run_id": run_id,
            "metrics": [
                {"key": f"k{k % 10}", "value": k / 1000, "timestamp": T0 + k, "step": s * 100 + k}
                for k in range(1000)
            ],
        }

    # Every batch is new points (a repeated batch would be the same points again).
    log_seconds = []
    for _ in range(repeats + 1):
        body = json.dumps(batch())
        started = time.perf_counter()
        answer = session.post(
            f"{api}/runs/log-batch",
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=600,
        )
        log_seconds.append(time.perf_counter() - started)
        answer.raise_for_status()
    search = {
        "experiment_ids": [experiment],
        "filter": "metrics.m0 > 0.5 and params.p1 = '3' and tags.team = 'risk'",
        "order_by": ["metrics.m0 DESC"],
        "max_results": 100,
    }
    full = {"experiment_ids": [experiment], "max_results": 1000}
    return {
        "log_batch_1000": statistics.median(log_seconds[1:]),
        "search_filtered_100": timed(session, "POST", f"{api}/runs/search", search, repeats),
        "search_page_1000": timed(
            session, "POST", f"{api}/runs/search", full, max(3, repeats // 4)
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000, help="runs to search over")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--mlflow-python", help="an interpreter with MLflow (the anchor)")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-mlflow-rest-") as tmp:
        root = Path(tmp) / "ours"
        (root / ".mlops").mkdir(parents=True)
        started = time.perf_counter()
        fill_ours(root, args.runs)
        print(f"ours: {args.runs:,} runs written in {time.perf_counter() - started:.1f} s")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLOPS_", "MLFLOW_"))}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
        servers: dict[str, tuple[list[str], Path, str]] = {}
        port = free_port()
        servers["jupyter-mlops server"] = (
            [sys.executable, "-m", "jupyter_mlops.cli", "server", "--port", str(port)],
            root,
            f"http://127.0.0.1:{port}",
        )
        experiment = {"jupyter-mlops server": "1"}
        if args.mlflow_python:
            anchor_root = Path(tmp) / "mlflow"
            anchor_root.mkdir()
            db = f"sqlite:///{anchor_root / 'mlflow.db'}"
            started = time.perf_counter()
            filled = subprocess.run(
                [args.mlflow_python, "-c", ANCHOR_FILL, db, str(args.runs), str(T0)],
                check=True,
                capture_output=True,
                text=True,
                env=env,
            )
            print(f"mlflow: {args.runs:,} runs written in {time.perf_counter() - started:.1f} s")
            experiment["mlflow server"] = filled.stdout.strip().splitlines()[-1]
            anchor_port = free_port()
            servers["mlflow server"] = (
                [
                    *(args.mlflow_python, "-m", "mlflow", "server", "--backend-store-uri", db),
                    *("--port", str(anchor_port), "--workers", "1"),
                    *("--artifacts-destination", str(anchor_root / "artifacts")),
                ],
                anchor_root,
                f"http://127.0.0.1:{anchor_port}",
            )
        for label, (cmd, cwd, url) in servers.items():
            with open(Path(tmp) / f"{label}.log", "wb") as log:
                process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=log)
            try:
                wait(url, process)
                results[label] = measure(url, experiment[label], args.repeats)
            finally:
                process.terminate()
                process.wait(timeout=60)
    print(f"\n{'':24}" + "".join(f"{label:>24}" for label in results))
    for key in ("log_batch_1000", "search_filtered_100", "search_page_1000"):
        row = "".join(f"{results[label][key] * 1000:>21.1f} ms" for label in results)
        print(f"{key:24}{row}")
    if "mlflow server" in results:
        ours, anchor = results["jupyter-mlops server"], results["mlflow server"]
        print()
        print(
            f"log-batch 1,000 metrics: {anchor['log_batch_1000'] / ours['log_batch_1000']:.1f}x "
            "faster than MLflow's server (target >= 20x)"
        )
        for key in ("search_filtered_100", "search_page_1000"):
            print(f"runs/search {key}: {anchor[key] / ours[key]:.1f}x faster (target >= 10x)")
    else:
        print("\nno anchor: pass --mlflow-python PATH (an interpreter with full MLflow) to compare")


if __name__ == "__main__":
    main()
