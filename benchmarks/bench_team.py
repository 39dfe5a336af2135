"""Team benchmark: the tracking benchmark on PostgreSQL, MLflow on the same server as anchor,
and search over 100,000 runs on PostgreSQL.

Run: ``.venv/bin/python benchmarks/bench_team.py`` (a throwaway PostgreSQL from the Debian
binaries is started in a temporary folder, or give ``--pg postgresql+psycopg://...`` for an
existing server; each figure gets its own database). MLflow runs from ``.venv-bench``
(``benchmarks/_anchor_env.sh``), which also needs ``psycopg[binary]``. Options: ``--runs N``
runs for the large search (default 100,000), ``--quick``, ``--no-mlflow``, ``--json FILE``.

Figures:

1. log and search (10,000 runs): exactly ``bench_tracking.py``'s workers, pointed at a
   PostgreSQL database for both sides.
2. search over 100,000 runs with ``metrics.auc > 0.9`` (~10% match): the default call (the
   newest 1,000 matches, what a notebook asks for first), the top 100 by auc, the count, and
   every match as a DataFrame. Target: the default call under 200 ms. The runs are written
   with COPY straight into the tables the API writes (the API would take minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

import bench_tracking as bt  # noqa: E402

TARGET_S = 0.200
BIG_FILTER = "metrics.auc > 0.9"


# -- workers (one fresh process each) ---------------------------------------------------


def _ours_on(uri: str) -> None:
    """Point bench_tracking's jupyter_mlops workers at ``uri`` instead of an SQLite file."""
    import jupyter_mlops.store as store_module

    opener = store_module.open_store

    def open_on_postgres(_uri: str | None = None, artifacts: str | None = None, **kw: Any) -> Any:
        return opener(uri, artifacts, **kw)

    store_module.open_store = open_on_postgres  # type: ignore[assignment]


def _mlflow_on(uri: str) -> None:
    def setup(work: Path, experiment: str) -> Any:
        import logging

        import mlflow

        logging.getLogger("mlflow").setLevel(logging.WARNING)
        mlflow.set_tracking_uri(uri)
        return mlflow.set_experiment(experiment)

    bt.mlflow_setup = setup


def _copy_rows(cur: Any, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def ours_big_search(uri: str, n: int, repeat: int) -> dict[str, Any]:
    import psycopg
    from sqlalchemy.engine import make_url

    import jupyter_mlops as mlops
    from jupyter_mlops.store import open_store
    from jupyter_mlops.store import runs as q
    from jupyter_mlops.store.search import count_runs

    store = open_store(uri, tempfile.mkdtemp(prefix="mlops-bench-objects-"))
    with store.write() as conn:
        experiment_id = q.get_or_create_experiment(conn, "bench-big")
    rng = random.Random(42)
    start = time.perf_counter()
    now = time.time()
    runs, params, tags, metrics = [], [], [], []
    for i in range(n):
        run_id = uuid.uuid4().hex
        at = now + i * 0.001
        runs.append((run_id, f"run-{i:06d}", experiment_id, "finished", at, at + 1, at + 1,
                     "bench", q.HOST, os.getpid()))  # fmt: skip
        params += [
            (run_id, "C", str(rng.choice([0.01, 0.1, 1.0, 10.0]))),
            (run_id, "penalty", "l2"),
        ]
        tags.append((run_id, "owner", rng.choice(["ana", "bo", "cy"])))
        metrics += [(run_id, key, 0, rng.random(), False, at) for key in ("auc", "loss", "acc")]
    url = make_url(uri)
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password,
        dbname=url.database,
    ) as raw, raw.cursor() as cur:  # fmt: skip
        run_cols = ["id", "name", "experiment_id", "status", "start_time", "end_time"]
        run_cols += ["heartbeat", "user_name", "host", "pid"]
        _copy_rows(cur, "runs", run_cols, runs)
        _copy_rows(cur, "params", ["run_id", "key", "value"], params)
        _copy_rows(cur, "tags", ["run_id", "key", "value"], tags)
        cols = ["run_id", "key", "step", "value", "is_nan", "timestamp"]
        _copy_rows(cur, "metrics", cols, metrics)
        _copy_rows(cur, "latest_metrics", cols, metrics)
        cur.execute("ANALYZE")
    bulk_s = time.perf_counter() - start

    def default() -> int:
        return len(mlops.search_runs(BIG_FILTER, experiments="bench-big", store=store))

    def top() -> int:
        return len(
            mlops.search_runs(
                BIG_FILTER, experiments="bench-big", order_by="metrics.auc desc", limit=100,
                store=store,
            )
        )  # fmt: skip

    def every() -> int:
        return len(mlops.search_runs(BIG_FILTER, experiments="bench-big", limit=None, store=store))

    def counted() -> int:
        return count_runs(store, BIG_FILTER, experiments="bench-big")

    out: dict[str, Any] = {"bulk_s": bulk_s, "runs": n, "repeat": repeat}
    for name, fn in (("default", default), ("top", top), ("count", counted), ("all", every)):
        fn()  # warm: plans and statement caches, like a second query in a session
        times, rows = bt.timed(fn, repeat)
        out[f"{name}_s"] = statistics.median(times)
        out[f"{name}_rows"] = rows
    return out


def worker(name: str, uri: str, work: Path, n: int, repeat: int) -> dict[str, Any]:
    if name == "ours-big":
        return ours_big_search(uri, n, repeat)
    side, task = name.split("-", 1)
    (_ours_on if side == "ours" else _mlflow_on)(uri)
    fn = bt.WORKERS[name]
    return dict(fn(work, n, repeat) if task == "search" else fn(work, repeat))


# -- orchestration ------------------------------------------------------------------------


def run_worker(python: str, name: str, uri: str, work: Path, n: int, repeat: int) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    args = ["--worker", name, "--uri", uri, "--work", str(work), "--runs", str(n)]
    out = subprocess.run(
        [python, str(Path(__file__).resolve()), *args, "--repeat", str(repeat)],
        cwd=work,
        env={**os.environ, "MPLBACKEND": "Agg"},
        capture_output=True,
        text=True,
        check=False,
    )
    for line in out.stdout.splitlines():
        if line.startswith(bt.MARK):
            return dict(json.loads(line[len(bt.MARK) :]))
    raise RuntimeError(f"{name} failed (exit {out.returncode}):\n{out.stderr[-3000:]}")


def anchor_python(given: str | None) -> str | None:
    python = bt.anchor_python(given)
    if python is None:
        return None
    check = subprocess.run([python, "-c", "import psycopg"], capture_output=True, check=False)
    if check.returncode != 0:
        print(f"MLflow's interpreter lacks psycopg: `{python} -m pip install 'psycopg[binary]'`.")
        return None
    return python


class Databases:
    """Fresh databases on a throwaway server (or on the server of ``--pg``)."""

    def __init__(self, given: str | None) -> None:
        self.server: Any = None
        self.given = given
        self.count = 0
        if given is None:
            from _postgres import PostgresServer

            self.server = PostgresServer()
            self.server.start()

    def new(self) -> str:
        self.count += 1
        name = f"bench_{os.getpid()}_{self.count}"
        if self.server is not None:
            with self.server.connect() as conn:
                conn.execute(f"CREATE DATABASE {name}")
            return str(self.server.url(name))
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(self.given or "")
        with psycopg.connect(
            host=url.host, port=url.port, user=url.username, password=url.password,
            dbname=url.database, autocommit=True,
        ) as conn:  # fmt: skip
            conn.execute(f"CREATE DATABASE {name}")
        return url.set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


def report(results: dict[str, dict[str, Any]], n: int, small: int) -> list[str]:
    missed: list[str] = []
    o, m = results.get("ours-log", {}), results.get("mlflow-log", {})
    version = m.get("version", "n/a")
    lines = [
        ("log: 1st run in a process", o.get("cold_s"), m.get("cold_s")),
        ("log: later runs (median)", o.get("warm_s"), m.get("warm_s")),
    ]
    o, m = results.get("ours-search", {}), results.get("mlflow-search", {})
    lines += [
        (f"search {bt.FILTER!r}, {small:,} runs, all", o.get("search_s"), m.get("search_s")),
        ("  same, top 100 by auc", o.get("top_s"), m.get("top_s")),
    ]
    print(f"\nPostgreSQL {'figure':<38} {'jupyter_mlops':>14} {'MLflow ' + version:>14}  ratio")
    for label, ours, anchor in lines:
        r = bt.ratio(anchor, ours)
        print(f"{label:<49} {bt.ms(ours):>14} {bt.ms(anchor):>14}  {f'{r:,.1f}x' if r else '-'}")
    big = results.get("ours-big")
    if big:
        loaded = f"bulk load {big['bulk_s']:.1f} s"
        print(f"\nsearch {BIG_FILTER!r} over {n:,} runs on PostgreSQL ({loaded})")
        labels = {
            "default": "default call (newest 1,000)",
            "top": "top 100 by auc",
            "count": "count_runs",
            "all": "every match as a DataFrame",
        }
        for key, label in labels.items():
            print(f"  {label:<32} {bt.ms(big[f'{key}_s']):>12}  ({big[f'{key}_rows']:,} rows)")
        ok = big["default_s"] < TARGET_S
        print(f"default call under 200 ms: {bt.ms(big['default_s'])} {'ok' if ok else 'MISSED'}")
        if not ok:
            missed.append("search over 100k runs under 200 ms")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None, help="runs for the big search (100,000)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 20,000 runs")
    parser.add_argument("--no-mlflow", action="store_true", help="measure jupyter_mlops only")
    parser.add_argument("--mlflow-python", help="interpreter with MLflow and psycopg")
    parser.add_argument("--pg", help="an existing server (a URI whose user may create databases)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--uri", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    n = args.runs or (20_000 if args.quick else 100_000)
    small = 2_000 if args.quick else 10_000

    if args.worker:
        bt.emit(worker(args.worker, args.uri, args.work, args.runs, args.repeat))
        return 0

    anchor = None if args.no_mlflow else anchor_python(args.mlflow_python)
    base = Path(tempfile.mkdtemp(prefix="mlops-bench-team-"))
    project = bt.make_project(base)
    databases = Databases(args.pg)
    quick = args.quick
    plan: list[tuple[str, str, int, int]] = [
        ("ours-log", sys.executable, small, 3 if quick else 20),
        ("ours-search", sys.executable, small, 5 if quick else 20),
        ("ours-big", sys.executable, n, 5 if quick else 20),
    ]
    if anchor:
        plan[2:2] = [
            ("mlflow-log", anchor, small, 2 if quick else 3),
            ("mlflow-search", anchor, small, 3 if quick else 5),
        ]
    results: dict[str, dict[str, Any]] = {}
    try:
        for name, python, runs, repeat in plan:
            started = time.perf_counter()
            print(f"running {name} ...", end=" ", flush=True)
            try:
                results[name] = run_worker(
                    python, name, databases.new(), project / "work" / name, runs, repeat
                )
            except RuntimeError as exc:
                print(f"FAILED\n{exc}", flush=True)
                continue
            print(f"{time.perf_counter() - started:.1f} s", flush=True)
    finally:
        databases.close()
        shutil.rmtree(base, ignore_errors=True)
    missed = report(results, n, small)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"runs": n, "results": results}, indent=2))
    print("\nall targets met" if not missed else f"\ntargets missed: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
