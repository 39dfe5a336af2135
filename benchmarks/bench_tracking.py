"""Tracking benchmark: jupyter_mlops against MLflow (the anchor), both measured in this run.

Run: ``.venv/bin/python benchmarks/bench_tracking.py`` (builds ``.venv-bench`` with MLflow on
first use through ``benchmarks/_anchor_env.sh``). Options: ``--runs N`` runs to search over
(default 10,000), ``--quick`` (fewer repeats and 2,000 runs), ``--no-mlflow``,
``--mlflow-python PATH``, ``--json FILE``.

Figures, each printed with MLflow's and the ratio (targets from the issue):

1. log: create a run, log 20 params + 1,000 metric points (one call each) + 1 small artifact,
   end it (durable when ``end`` returns), on an SQLite store. Target: at least 20x faster.
   The first run in a fresh process ("cold": package scan, statement caches) and the median
   of the following runs ("warm") are both reported; the target is checked on both.
2. search: ``search_runs`` with a metric filter over 10,000 runs, returning every match as a
   DataFrame (~10% match). Target: under 50 ms and at least 10x faster than
   ``mlflow.search_runs``. Also a "top 100 by metric" query.
3. autolog: a LogisticRegression fit on 10,000 x 20 inside a run, plain and tracked
   (``mlflow.sklearn.autolog()`` vs ``capturing()``, the machinery of ``%%mlops track``;
   ``bench_capture.py`` has the cell-level capture figures).

Each side runs in its own fresh subprocess per figure (MLflow in the anchor's interpreter),
in the same temporary git repository, on identical data. Populating 10,000 runs through
either public API takes minutes (MLflow ~40-90 ms a run here), so the first 100 runs go
through the public API (timed and reported) and the rest are bulk-inserted into the same
tables the API writes; the population times are printed too.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MARK = "BENCH-RESULT "
PUBLIC_RUNS = 100
FILTER = "metrics.auc > 0.9"
N_PARAMS = 20
N_POINTS = 1000


# -- shared data -----------------------------------------------------------------------


def run_data(n: int) -> list[dict[str, Any]]:
    """The runs to search over: identical on both sides (seeded)."""
    rng = random.Random(42)
    return [
        {
            "name": f"run-{i:05d}",
            "params": {"C": str(rng.choice([0.01, 0.1, 1.0, 10.0])), "penalty": "l2"},
            "tags": {"owner": rng.choice(["ana", "bo", "cy"])},
            "metrics": {"auc": rng.random(), "loss": rng.random(), "acc": rng.random()},
        }
        for i in range(n)
    ]


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def emit(result: dict[str, Any]) -> None:
    print(MARK + json.dumps(result), flush=True)


# -- jupyter_mlops side ---------------------------------------------------------------


def ours_log(work: Path, repeat: int) -> dict[str, Any]:
    start = time.perf_counter()
    import jupyter_mlops as mlops
    from jupyter_mlops.store import open_store

    imported = time.perf_counter()
    store = open_store(f"sqlite:///{work}/mlops.db", str(work / "objects"))
    opened = time.perf_counter()
    artifact = work / "summary.txt"
    artifact.write_text("a small artifact\n" * 32)

    def one_run() -> str:
        with mlops.start_run(experiment="bench-log", store=store) as run:
            for i in range(N_PARAMS):
                mlops.log_param(f"p{i}", i * 0.5)
            for i in range(N_POINTS):
                mlops.log_metric("loss", 1.0 / (i + 1), step=i)
            mlops.log_artifact(artifact)
        return run.id

    times, run_id = timed(one_run, repeat)
    record = mlops.get_run(run_id, store=store)
    points = mlops.get_metric_history(run_id, "loss", store=store)
    assert len(record.params) == N_PARAMS and len(points) == N_POINTS, "lost data"
    assert [a.path for a in record.artifacts] == ["summary.txt"]
    return {
        "import_s": imported - start,
        "open_s": opened - imported,
        "cold_s": times[0],
        "warm_s": statistics.median(times[1:]) if repeat > 1 else times[0],
        "repeat": repeat,
    }


def ours_search(work: Path, n: int, repeat: int) -> dict[str, Any]:
    from sqlalchemy import insert

    import jupyter_mlops as mlops
    from jupyter_mlops.store import open_store
    from jupyter_mlops.store import runs as q
    from jupyter_mlops.store import tables as t
    from jupyter_mlops.store.metric_chunks import insert_point_rows

    store = open_store(f"sqlite:///{work}/mlops.db", str(work / "objects"))
    data = run_data(n)
    public = data[:PUBLIC_RUNS]
    start = time.perf_counter()
    for spec in public:
        with mlops.start_run(
            spec["name"],
            experiment="bench-search",
            params=spec["params"],
            tags=spec["tags"],
            store=store,
        ) as run:
            for key, value in spec["metrics"].items():
                run.log_metric(key, value)
    public_s = time.perf_counter() - start

    start = time.perf_counter()
    now = time.time()
    with store.write() as conn:
        experiment_id = q.get_or_create_experiment(conn, "bench-search")
        runs, params, tags, metrics = [], [], [], []
        for spec in data[PUBLIC_RUNS:]:
            run_id = uuid.uuid4().hex
            runs.append(
                {
                    "id": run_id,
                    "name": spec["name"],
                    "experiment_id": experiment_id,
                    "status": "finished",
                    "start_time": now,
                    "end_time": now + 1,
                    "heartbeat": now + 1,
                    "user_name": "bench",
                    "host": q.HOST,
                    "pid": os.getpid(),
                }
            )
            params += [{"run_id": run_id, "key": k, "value": v} for k, v in spec["params"].items()]
            tags += [{"run_id": run_id, "key": k, "value": v} for k, v in spec["tags"].items()]
            metrics += [
                {
                    "run_id": run_id,
                    "key": k,
                    "step": 0,
                    "value": v,
                    "is_nan": False,
                    "timestamp": now,
                }
                for k, v in spec["metrics"].items()
            ]
        conn.execute(insert(t.runs), runs)
        conn.execute(insert(t.params), params)
        conn.execute(insert(t.tags), tags)
        insert_point_rows(conn, metrics)
        conn.execute(insert(t.latest_metrics), metrics)
    bulk_s = time.perf_counter() - start

    def search_all() -> int:
        frame = mlops.search_runs(FILTER, experiments=["bench-search"], limit=None, store=store)
        return len(frame)

    def search_top() -> int:
        frame = mlops.search_runs(
            FILTER,
            experiments=["bench-search"],
            order_by=["metrics.auc DESC"],
            limit=100,
            store=store,
        )
        return len(frame)

    search_all()  # warm the statement cache, like a second query in a session
    all_times, rows = timed(search_all, repeat)
    top_times, top_rows = timed(search_top, repeat)
    return {
        "public_per_run_s": public_s / len(public),
        "bulk_s": bulk_s,
        "search_s": statistics.median(all_times),
        "rows": rows,
        "top_s": statistics.median(top_times),
        "top_rows": top_rows,
        "repeat": repeat,
    }


def ours_autolog(work: Path, repeat: int) -> dict[str, Any]:
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    import jupyter_mlops as mlops
    from jupyter_mlops.store import open_store

    try:
        from jupyter_mlops.tracking.capture import capturing
    except ImportError:
        return {"skipped": "jupyter_mlops.tracking.capture.capturing is not available"}
    store = open_store(f"sqlite:///{work}/mlops.db", str(work / "objects"))
    X, y = make_classification(n_samples=10_000, n_features=20, random_state=0)
    LogisticRegression().fit(X, y)
    fit_times, _ = timed(lambda: LogisticRegression().fit(X, y), 10)

    def tracked() -> None:
        with (
            mlops.start_run(experiment="bench-autolog", store=store) as run,
            capturing(run, user_ns={}),
        ):
            LogisticRegression().fit(X, y)

    times, _ = timed(tracked, repeat)
    return {
        "fit_s": statistics.median(fit_times),
        "cold_s": times[0],
        "warm_s": statistics.median(times[1:]) if repeat > 1 else times[0],
    }


# -- MLflow side (runs in the anchor's interpreter; never imports jupyter_mlops) --------


def mlflow_setup(work: Path, experiment: str) -> Any:
    import logging

    import mlflow

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    mlflow.set_tracking_uri(f"sqlite:///{work}/mlflow.db")
    return mlflow.set_experiment(experiment)


def mlflow_log(work: Path, repeat: int) -> dict[str, Any]:
    start = time.perf_counter()
    import mlflow

    imported = time.perf_counter()
    mlflow_setup(work, "bench-log")
    opened = time.perf_counter()
    artifact = work / "summary.txt"
    artifact.write_text("a small artifact\n" * 32)

    def one_run() -> str:
        with mlflow.start_run() as run:
            for i in range(N_PARAMS):
                mlflow.log_param(f"p{i}", i * 0.5)
            for i in range(N_POINTS):
                mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
            mlflow.log_artifact(str(artifact))
        return str(run.info.run_id)

    times, run_id = timed(one_run, repeat)
    client = mlflow.MlflowClient()
    assert len(client.get_metric_history(run_id, "loss")) == N_POINTS, "lost data"
    return {
        "version": mlflow.__version__,
        "import_s": imported - start,
        "open_s": opened - imported,
        "cold_s": times[0],
        "warm_s": statistics.median(times[1:]) if repeat > 1 else times[0],
        "repeat": repeat,
    }


def mlflow_search(work: Path, n: int, repeat: int) -> dict[str, Any]:
    import mlflow
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.store.tracking.dbmodels.models import (
        SqlLatestMetric,
        SqlMetric,
        SqlParam,
        SqlRun,
        SqlTag,
    )
    from mlflow.tracking._tracking_service.utils import _get_store
    from sqlalchemy import insert

    experiment = mlflow_setup(work, "bench-search")
    client = mlflow.MlflowClient()
    data = run_data(n)
    public = data[:PUBLIC_RUNS]
    start = time.perf_counter()
    for spec in public:
        run = client.create_run(experiment.experiment_id, run_name=spec["name"])
        stamp = int(time.time() * 1000)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(k, v, stamp, 0) for k, v in spec["metrics"].items()],
            params=[Param(k, v) for k, v in spec["params"].items()],
            tags=[RunTag(k, v) for k, v in spec["tags"].items()],
        )
        client.set_terminated(run.info.run_id)
    public_s = time.perf_counter() - start

    # The rows MLflow's create_run + log_batch + set_terminated write, inserted in bulk.
    start = time.perf_counter()
    store = _get_store()
    now = int(time.time() * 1000)
    runs, params, tags, metrics = [], [], [], []
    for spec in data[PUBLIC_RUNS:]:
        run_id = uuid.uuid4().hex
        runs.append(
            {
                "run_uuid": run_id,
                "name": spec["name"],
                "source_type": "UNKNOWN",
                "source_name": "",
                "entry_point_name": "",
                "user_id": "bench",
                "status": "FINISHED",
                "start_time": now,
                "end_time": now + 1000,
                "source_version": "",
                "lifecycle_stage": "active",
                "artifact_uri": f"{experiment.artifact_location}/{run_id}/artifacts",
                "experiment_id": int(experiment.experiment_id),
            }
        )
        params += [{"run_uuid": run_id, "key": k, "value": v} for k, v in spec["params"].items()]
        run_tags = {**spec["tags"], "mlflow.runName": spec["name"], "mlflow.user": "bench"}
        tags += [{"run_uuid": run_id, "key": k, "value": v} for k, v in run_tags.items()]
        metrics += [
            {"run_uuid": run_id, "key": k, "value": v, "timestamp": now, "step": 0, "is_nan": False}
            for k, v in spec["metrics"].items()
        ]
    with store.engine.begin() as conn:
        conn.execute(insert(SqlRun.__table__), runs)
        conn.execute(insert(SqlParam.__table__), params)
        conn.execute(insert(SqlTag.__table__), tags)
        conn.execute(insert(SqlMetric.__table__), metrics)
        conn.execute(insert(SqlLatestMetric.__table__), metrics)
    bulk_s = time.perf_counter() - start

    def search_all() -> int:
        frame = mlflow.search_runs(experiment_names=["bench-search"], filter_string=FILTER)
        return len(frame)

    def search_top() -> int:
        frame = mlflow.search_runs(
            experiment_names=["bench-search"],
            filter_string=FILTER,
            order_by=["metrics.auc DESC"],
            max_results=100,
        )
        return len(frame)

    search_all()
    all_times, rows = timed(search_all, repeat)
    top_times, top_rows = timed(search_top, repeat)
    return {
        "public_per_run_s": public_s / len(public),
        "bulk_s": bulk_s,
        "search_s": statistics.median(all_times),
        "rows": rows,
        "top_s": statistics.median(top_times),
        "top_rows": top_rows,
        "repeat": repeat,
    }


def mlflow_autolog(work: Path, repeat: int) -> dict[str, Any]:
    import mlflow
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    mlflow_setup(work, "bench-autolog")
    X, y = make_classification(n_samples=10_000, n_features=20, random_state=0)
    LogisticRegression().fit(X, y)
    fit_times, _ = timed(lambda: LogisticRegression().fit(X, y), 10)
    mlflow.sklearn.autolog()

    def tracked() -> None:
        with mlflow.start_run():
            LogisticRegression().fit(X, y)

    times, _ = timed(tracked, repeat)
    return {
        "fit_s": statistics.median(fit_times),
        "cold_s": times[0],
        "warm_s": statistics.median(times[1:]) if repeat > 1 else times[0],
    }


WORKERS: dict[str, Callable[..., dict[str, Any]]] = {
    "ours-log": ours_log,
    "ours-search": ours_search,
    "ours-autolog": ours_autolog,
    "mlflow-log": mlflow_log,
    "mlflow-search": mlflow_search,
    "mlflow-autolog": mlflow_autolog,
}


# -- orchestration --------------------------------------------------------------------


def make_project(base: Path) -> Path:
    """A small git project, like the folder a notebook runs in (both sides read git state)."""
    project = base / "project"
    project.mkdir()
    (project / "train.py").write_text("C = 1.0\n")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.org"]
    for args in (["init", "-q"], ["add", "train.py"], ["commit", "-q", "-m", "init"]):
        subprocess.run([*git, *args], cwd=project, check=True, capture_output=True)
    return project


def run_worker(python: str, name: str, work: Path, args: list[str]) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MPLBACKEND": "Agg"}
    out = subprocess.run(
        [python, str(Path(__file__).resolve()), "--worker", name, "--work", str(work), *args],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in out.stdout.splitlines():
        if line.startswith(MARK):
            return dict(json.loads(line[len(MARK) :]))
    raise RuntimeError(f"{name} failed (exit {out.returncode}):\n{out.stderr[-3000:]}")


def anchor_python(given: str | None) -> str | None:
    candidate = Path(given) if given else ROOT / ".venv-bench" / "bin" / "python"
    if not candidate.exists() and given is None:
        print("Building the MLflow environment (.venv-bench) with benchmarks/_anchor_env.sh ...")
        built = subprocess.run(["bash", str(ROOT / "benchmarks" / "_anchor_env.sh")], check=False)
        if built.returncode != 0:
            return None
    if not candidate.exists():
        return None
    check = subprocess.run([str(candidate), "-c", "import mlflow, sklearn"], capture_output=True)
    return str(candidate) if check.returncode == 0 else None


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.1f} ms"


def ratio(anchor: float | None, ours: float | None) -> float | None:
    return None if not anchor or not ours else anchor / ours


def report(results: dict[str, dict[str, Any]], n: int) -> list[str]:
    """Print the figures; return the targets that were missed."""
    missed: list[str] = []
    rows: list[tuple[str, float | None, float | None, str]] = []

    def add(label: str, ours: float | None, anchor: float | None, target: float | None) -> None:
        r = ratio(anchor, ours)
        verdict = ""
        if target is not None and r is not None:
            verdict = "ok" if r >= target else f"MISSED ({target:g}x)"
            if r < target:
                missed.append(label)
        rows.append((label, ours, anchor, f"{r:,.0f}x {verdict}" if r else "-"))

    o, m = results.get("ours-log", {}), results.get("mlflow-log", {})
    add("log: 1st run in a process", o.get("cold_s"), m.get("cold_s"), 20)
    add("log: later runs (median)", o.get("warm_s"), m.get("warm_s"), 20)
    add("open store / set experiment", o.get("open_s"), m.get("open_s"), None)
    add("import", o.get("import_s"), m.get("import_s"), None)
    o, m = results.get("ours-search", {}), results.get("mlflow-search", {})
    add(f"search {FILTER!r}, {n:,} runs", o.get("search_s"), m.get("search_s"), 10)
    add("  same, top 100 by auc", o.get("top_s"), m.get("top_s"), None)
    add("populate: public API per run", o.get("public_per_run_s"), m.get("public_per_run_s"), None)
    add(f"populate: bulk {n - PUBLIC_RUNS:,} runs", o.get("bulk_s"), m.get("bulk_s"), None)
    o, m = results.get("ours-autolog", {}), results.get("mlflow-autolog", {})
    add("LogisticRegression fit, untracked", o.get("fit_s"), m.get("fit_s"), None)
    add("  tracked fit, 1st in process", o.get("cold_s"), m.get("cold_s"), None)
    add("  tracked fit, later (median)", o.get("warm_s"), m.get("warm_s"), None)

    version = results.get("mlflow-log", {}).get("version", "n/a")
    print(f"\n{'figure':<38} {'jupyter_mlops':>14} {'MLflow ' + version:>14}  ratio")
    for label, ours, anchor, text in rows:
        print(f"{label:<38} {ms(ours):>14} {ms(anchor):>14}  {text}")
    search = results.get("ours-search", {}).get("search_s")
    if search is not None:
        verdict = "ok" if search < 0.050 else "MISSED"
        print(f"\nsearch under 50 ms: {ms(search)} {verdict}")
        if search >= 0.050:
            missed.append("search under 50 ms")
    for side in ("ours-search", "mlflow-search"):
        if side in results:
            found = results[side]
            print(f"{side}: {found['rows']} matching runs, top query {found['top_rows']} rows")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None, help="runs to search (10,000)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 2,000 runs")
    parser.add_argument("--no-mlflow", action="store_true", help="measure jupyter_mlops only")
    parser.add_argument("--mlflow-python", help="interpreter with MLflow (.venv-bench)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary stores")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    n = args.runs or (2_000 if args.quick else 10_000)

    if args.worker:
        kind = args.worker.split("-", 1)[1]
        fn = WORKERS[args.worker]
        emit(fn(args.work, n, args.repeat) if kind == "search" else fn(args.work, args.repeat))
        return 0

    anchor = None if args.no_mlflow else anchor_python(args.mlflow_python)
    if anchor is None and not args.no_mlflow:
        print("MLflow is not available: run `bash benchmarks/_anchor_env.sh`; ours only.")
    base = Path(tempfile.mkdtemp(prefix="mlops-bench-"))
    project = make_project(base)
    repeats = {"log": (3 if args.quick else 20, 2 if args.quick else 3)}
    repeats["search"] = (5 if args.quick else 20, 3 if args.quick else 5)
    repeats["autolog"] = (3 if args.quick else 5, 2 if args.quick else 3)
    results: dict[str, dict[str, Any]] = {}
    try:
        for task in ("log", "search", "autolog"):
            ours_repeat, anchor_repeat = repeats[task]
            sides = [("ours", sys.executable, ours_repeat)]
            if anchor:
                sides.append(("mlflow", anchor, anchor_repeat))
            for side, python, repeat in sides:
                name = f"{side}-{task}"
                started = time.perf_counter()
                print(f"running {name} ...", end=" ", flush=True)
                work = project / "work" / name
                try:
                    results[name] = run_worker(
                        python, name, work, ["--runs", str(n), "--repeat", str(repeat)]
                    )
                except RuntimeError as exc:  # e.g. autolog broken in this MLflow: go on
                    print(f"FAILED\n{exc}", flush=True)
                    continue
                print(f"{time.perf_counter() - started:.1f} s", flush=True)
    finally:
        if args.keep:
            print(f"stores kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    missed = report(results, n)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"runs": n, "results": results}, indent=2))
    if not anchor:
        print("\nratios against MLflow not measured (no MLflow interpreter)")
    print("\nall targets met" if not missed else f"\ntargets missed: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
