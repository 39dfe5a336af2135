"""MLflow's REST API served by ``jupyter-mlops server``: ``runs/log-batch`` of 1,000 metrics and
``runs/search`` over 10,000 runs, against MLflow's own server on SQLite in the same run.

Targets (issue 18): log-batch >= 20x faster than MLflow's server, runs/search >= 10x. MLflow's
server needs full MLflow, which the project's environment does not have (mlflow-skinny has no
server): pass ``--mlflow-python PATH`` (an interpreter with MLflow, such as the
``.venv-bench`` that ``benchmarks/_anchor_env.sh`` builds) for the anchor; without it only our
absolute figures are printed. Both servers answer the same raw HTTP requests from this process.

    python benchmarks/bench_mlflow_rest.py [--runs 10000] [--repeats 20] [--mlflow-python PATH]
        [--cache DIR] [--pause 0.3] [--block 1]

The two servers run side by side and take turns request by request (``--block N``: N requests
back to back at each turn), so a load that comes and goes on a shared machine slows both
alike. ``--cache DIR`` keeps the filled stores (MLflow's takes minutes) for the next run;
each run serves fresh copies of them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
T0 = 1_700_000_000_000
# Between requests: MLflow's server goes on working after it answers a log-batch (measured:
# our next request took 150 ms instead of 25 ms without a pause), which is not our cost.
# ``--pause`` changes it: on some machines a process that waited 0.3 s finds its caches cold
# (measured on one: a Tornado hello-world answered in 1.1 ms back to back, 12-16 ms after a
# 0.3 s pause), which floors every short request whatever the server does.
PAUSE = 0.3

# Fills an MLflow SQLite store with the same runs as ours, in the anchor's interpreter. The
# first runs go through MLflow's client; the rest are row-for-row copies of the first one it
# made, with their own ids, names, times and values (10,000 runs through the client take over
# an hour on a loaded machine; the fill is not what is measured).
ANCHOR_FILL = textwrap.dedent(
    """
    import sqlite3, sys, uuid
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient
    uri, runs, t0 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    c = MlflowClient(tracking_uri=uri)
    exp = c.create_experiment("bench")

    def values(i):
        metrics = [(f"m{k}", ((i * 7919 + k) % 1000) / 1000) for k in range(3)]
        params = [(f"p{j}", str((i + j) % 10)) for j in range(5)]
        return metrics, params, "risk" if i % 2 else "growth"

    by_client = min(runs, 50)
    for i in range(by_client):
        metrics, params, team = values(i)
        rid = c.create_run(exp, run_name=f"run-{i}", start_time=t0 + i).info.run_id
        c.log_batch(
            rid,
            metrics=[Metric(k, v, t0, 0) for k, v in metrics],
            params=[Param(k, v) for k, v in params],
            tags=[RunTag("team", team)],
        )
        c.set_terminated(rid, "FINISHED", end_time=t0 + i + 1000)
    db = sqlite3.connect(uri.removeprefix("sqlite:///"))
    cursor = db.execute("SELECT * FROM runs WHERE name = 'run-0'")
    columns = [d[0] for d in cursor.description]
    first = dict(zip(columns, cursor.fetchone()))
    rows, params_, tags, points = [], [], [], []
    for i in range(by_client, runs):
        rid = uuid.uuid4().hex
        uri_ = first["artifact_uri"].replace(first["run_uuid"], rid)
        row = first | {"run_uuid": rid, "name": f"run-{i}", "artifact_uri": uri_}
        row |= {"start_time": t0 + i, "end_time": t0 + i + 1000}
        rows.append([row[k] for k in columns])
        metrics, params, team = values(i)
        params_ += [(k, v, rid) for k, v in params]
        tags += [("mlflow.runName", f"run-{i}", rid), ("team", team, rid)]
        points += [(k, v, t0, 0, 0, rid) for k, v in metrics]
    with db:
        marks = ", ".join("?" * len(columns))
        db.executemany(f"INSERT INTO runs ({', '.join(columns)}) VALUES ({marks})", rows)
        db.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", params_)
        db.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)", tags)
        for table in ("metrics", "latest_metrics"):
            db.executemany(
                f"INSERT INTO {table} (key, value, timestamp, step, is_nan, run_uuid) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                points,
            )
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
            requests.post(f"{url}/api/2.0/mlflow/experiments/search", json={}, timeout=30)
            return
        except (requests.ConnectionError, requests.Timeout):  # starting, on a loaded machine
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


def load() -> str:
    """The load average (1, 5, 15 minutes) where the system offers it."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid`` and its children (MLflow's server runs
    uvicorn in a child process)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(c) for c in children)


class Target:
    """One server under test: its API URL, a session, the run log-batch writes to."""

    def __init__(self, url: str, experiment: str, pid: int) -> None:
        self.pid = pid
        self.api = f"{url}/api/2.0/mlflow"
        self.session = requests.Session()
        self.experiment = experiment
        run = self.post("runs/create", json.dumps({"experiment_id": experiment}))
        self.run_id = run.json()["run"]["info"]["run_id"]
        self.step = 0

    def post(self, path: str, data: str) -> requests.Response:
        answer = self.session.post(
            f"{self.api}/{path}",
            data=data,
            headers={"Content-Type": "application/json"},
            timeout=600,
        )
        answer.raise_for_status()
        return answer

    def batch(self) -> str:
        """1,000 new points (a repeated batch would be the same points again)."""
        self.step += 1
        return json.dumps(
            {
                "run_id": self.run_id,
                "metrics": [
                    {
                        "key": f"k{k % 10}",
                        "value": k / 1000,
                        "timestamp": T0 + k,
                        "step": self.step * 1000 + k,
                    }
                    for k in range(1000)
                ],
            }
        )

    def search(self, filtered: bool) -> str:
        if filtered:
            # Matches a tenth of the odd runs with m0 > 0.5: ~5% of the runs, a page of 100.
            body = {
                "experiment_ids": [self.experiment],
                "filter": "metrics.m0 > 0.5 and params.p1 = '4' and tags.team = 'risk'",
                "order_by": ["metrics.m0 DESC"],
                "max_results": 100,
            }
        else:
            body = {"experiment_ids": [self.experiment], "max_results": 1000}
        return json.dumps(body)


def measure(
    targets: dict[str, Target], repeats: int, pause: float = PAUSE, block: int = 1
) -> dict[str, dict[str, float]]:
    """Median seconds of each request on each server, the servers taking turns (first one,
    then the other, alternating) so that both see the same load, ``block`` requests back to
    back at each turn after a pause; and each server's CPU seconds per request
    (``<case>_cpu``), which a loaded machine disturbs far less than the time a request takes."""
    cases = {
        "log_batch_1000": ("runs/log-batch", Target.batch, repeats),
        "search_filtered_100": ("runs/search", lambda t: t.search(True), repeats),
        "search_page_1000": ("runs/search", lambda t: t.search(False), max(5, repeats // 2)),
    }
    seconds: dict[str, dict[str, list[float]]] = {label: {} for label in targets}
    cpu: dict[str, dict[str, float]] = {label: {} for label in targets}
    for case, (path, body, count) in cases.items():
        for label, target in targets.items():
            # A warm-up request; a search must find runs, or it measures nothing.
            answer = target.post(path, body(target))
            if path == "runs/search" and not answer.json().get("runs"):
                raise RuntimeError(f"{label}: {case} found no runs")
            seconds[label][case] = []
            cpu[label][case] = cpu_seconds(target.pid)
        order = list(targets)
        turns = max(1, count // block)
        for i in range(turns):
            for label in order if i % 2 == 0 else order[::-1]:
                target = targets[label]
                data = [body(target) for _ in range(block)]
                time.sleep(pause)
                for one in data:
                    started = time.perf_counter()
                    target.post(path, one)
                    seconds[label][case].append(time.perf_counter() - started)
        for label, target in targets.items():
            cpu[label][case] = (cpu_seconds(target.pid) - cpu[label][case]) / (turns * block)
    return {
        label: {case: statistics.median(values) for case, values in cases_.items()}
        | {f"{case}_cpu": cpu[label][case] for case in cases_}
        for label, cases_ in seconds.items()
    }


def filled(cache: Path, runs: int, mlflow_python: str | None, env: dict[str, str]) -> str | None:
    """Fill ``cache`` with our store and (with an anchor) MLflow's once; MLflow's experiment id."""
    ours = cache / f"ours-{runs}"
    if not (ours / ".mlops" / "mlops.db").exists():
        (ours / ".mlops").mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        fill_ours(ours, runs)
        print(f"ours: {runs:,} runs written in {time.perf_counter() - started:.1f} s")
    if not mlflow_python:
        return None
    anchor = cache / f"mlflow-{runs}"
    done = anchor / "experiment"
    if not done.exists():
        anchor.mkdir(parents=True, exist_ok=True)
        (anchor / "mlflow.db").unlink(missing_ok=True)
        started = time.perf_counter()
        uri = f"sqlite:///{anchor / 'mlflow.db'}"
        fill = subprocess.run(
            [mlflow_python, "-c", ANCHOR_FILL, uri, str(runs), str(T0)],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
        print(f"mlflow: {runs:,} runs written in {time.perf_counter() - started:.1f} s")
        done.write_text(fill.stdout.strip().splitlines()[-1])
    return done.read_text().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000, help="runs to search over")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--mlflow-python", help="an interpreter with MLflow (the anchor)")
    parser.add_argument(
        "--pause",
        type=float,
        default=PAUSE,
        help=f"seconds between requests (default {PAUSE}; MLflow's server works on after it "
        "answers a log-batch)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        help="keep the filled stores here and reuse them (each measurement works on a copy)",
    )
    parser.add_argument(
        "--block",
        type=int,
        default=1,
        help="requests each server answers back to back at its turn (default 1), as a client "
        "logging in a loop sends them",
    )
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLOPS_", "MLFLOW_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory(prefix="bench-mlflow-rest-") as tmp:
        cache = args.cache or Path(tmp) / "cache"
        anchor_experiment = filled(cache, args.runs, args.mlflow_python, env)
        root = Path(tmp) / "ours"
        shutil.copytree(cache / f"ours-{args.runs}", root)
        port = free_port()
        servers: dict[str, tuple[list[str], Path, str, str]] = {
            "jupyter-mlops server": (
                [sys.executable, "-m", "jupyter_mlops.cli", "server", "--port", str(port)],
                root,
                f"http://127.0.0.1:{port}",
                "1",
            )
        }
        if args.mlflow_python and anchor_experiment:
            anchor_root = Path(tmp) / "mlflow"
            shutil.copytree(cache / f"mlflow-{args.runs}", anchor_root)
            anchor_port = free_port()
            servers["mlflow server"] = (
                [
                    *(args.mlflow_python, "-m", "mlflow", "server"),
                    *("--backend-store-uri", f"sqlite:///{anchor_root / 'mlflow.db'}"),
                    *("--port", str(anchor_port), "--workers", "1"),
                    *("--artifacts-destination", str(anchor_root / "artifacts")),
                ],
                anchor_root,
                f"http://127.0.0.1:{anchor_port}",
                anchor_experiment,
            )
        processes = []
        try:
            for label, (cmd, cwd, url, _) in servers.items():
                with open(Path(tmp) / f"{label}.log", "wb") as log:
                    processes.append(
                        subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=log)
                    )
                wait(url, processes[-1])
            before = load()
            targets = {
                label: Target(url, exp, process.pid)
                for (label, (_, _, url, exp)), process in zip(
                    servers.items(), processes, strict=True
                )
            }
            results = measure(targets, args.repeats, args.pause, args.block)
            after = load()
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=60)
    print(
        f"\n{args.runs:,} runs; turns of {args.block} request(s), {args.pause} s apart; "
        f"load average {before} before, {after} after"
    )
    keys = ("log_batch_1000", "search_filtered_100", "search_page_1000")
    for what, suffix in (("median time per request", ""), ("server CPU per request", "_cpu")):
        print(f"{what:24}" + "".join(f"{label:>24}" for label in results))
        for key in keys:
            row = "".join(f"{results[label][key + suffix] * 1000:>21.1f} ms" for label in results)
            print(f"{key:24}{row}")
    if "mlflow server" in results:
        ours, anchor = results["jupyter-mlops server"], results["mlflow server"]
        print("\nx faster than MLflow's server (time, CPU); log-batch >= 20x, search >= 10x")
        for key in keys:
            ratio, cpu_ratio = (
                anchor[key + s] / ours[key + s] if ours[key + s] else float("inf")
                for s in ("", "_cpu")
            )
            print(f"{key:24}{ratio:>8.1f}x{cpu_ratio:>8.1f}x")
    else:
        print("\nno anchor: pass --mlflow-python PATH (an interpreter with full MLflow) to compare")


if __name__ == "__main__":
    main()
