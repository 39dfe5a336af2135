"""Import benchmark: ``import mlflow`` of an MLflow store against copying the same runs with
MLflow's own client (``log_batch``) into a second MLflow store, measured in the same run.

Both sides read the source the same way (MLflow's client: ``search_runs`` pages and each
metric's history); they differ in where they write. Target (issue 18): 10,000 runs x 20 params
x 5 metrics x 100 steps imported in < 60 s and >= 10x faster than the copy. The default scale
is smaller (1,000 runs) so it runs in minutes; the size used is printed.

Building 10,000 runs with MLflow's client takes most of an hour here: ``--replicate K`` logs
``runs / K`` runs with it and copies each K - 1 times inside MLflow's SQLite tables (new run
ids, names and times; the same params, tags and histories). ``--anchor-runs M`` times the
``log_batch`` copy on the first M runs only and scales it per run. ``--profile FILE`` writes
the import's cProfile statistics.

    python benchmarks/bench_interop.py [--runs 1000] [--params 20] [--metrics 5] [--steps 100]
    python benchmarks/bench_interop.py --runs 10000 --replicate 20 --anchor-runs 200
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import sqlite3
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
warnings.filterwarnings("ignore", module=r"mlflow(\.|$)")
logging.getLogger("mlflow").setLevel(logging.WARNING)

from mlflow.entities import Metric, Param, RunTag  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

from jupyter_mlops.interop import import_mlflow  # noqa: E402
from jupyter_mlops.store import open_store  # noqa: E402

T0 = 1_700_000_000_000
BATCH = 1000  # MLflow's log_batch takes at most 1,000 metrics


def build(client: MlflowClient, runs: int, params: int, metrics: int, steps: int) -> None:
    exp = client.create_experiment("bench")
    for i in range(runs):
        run = client.create_run(exp, run_name=f"run-{i}", start_time=T0 + i)
        rid = run.info.run_id
        points = [
            Metric(f"m{k}", 1.0 / (s + 1) + i, T0 + s, s)
            for k in range(metrics)
            for s in range(steps)
        ]
        client.log_batch(
            rid,
            params=[Param(f"p{j}", str(j * i)) for j in range(params)],
            tags=[RunTag("bench", "1")],
        )
        for start in range(0, len(points), BATCH):
            client.log_batch(rid, metrics=points[start : start + BATCH])
        client.set_terminated(rid, "FINISHED", end_time=T0 + i + 1000)


def replicate(db: Path, times: int) -> None:
    """Copy every run of the MLflow SQLite database ``db`` ``times - 1`` times, in SQL."""
    conn = sqlite3.connect(db)
    base = "run_uuid IN (SELECT run_uuid FROM base)"
    with conn:
        conn.execute("CREATE TEMP TABLE base AS SELECT run_uuid FROM runs")
        for k in range(1, times):
            # 'x' is not a hex digit: a copy's id is never an original's.
            new = f"substr(run_uuid, 1, 27) || 'x' || printf('%04d', {k})"
            conn.execute(
                f"INSERT INTO runs SELECT {new}, name || '-{k}', source_type, source_name, "
                "entry_point_name, user_id, status, start_time + ?, end_time + ?, "
                "source_version, lifecycle_stage, replace(artifact_uri, run_uuid, "
                f"{new}), experiment_id, deleted_time FROM runs WHERE {base}",
                (k * 1_000_000, k * 1_000_000),
            )
            for table, cols in (
                ("params", '"key", value'),
                ("metrics", '"key", value, timestamp, step, is_nan'),
                ("latest_metrics", '"key", value, timestamp, step, is_nan'),
            ):
                conn.execute(
                    f"INSERT INTO {table} ({cols}, run_uuid) SELECT {cols}, {new} FROM {table} "
                    f"WHERE {base}"
                )
            conn.execute(
                'INSERT INTO tags ("key", value, run_uuid) SELECT "key", CASE "key" '
                f"WHEN 'mlflow.runName' THEN value || '-{k}' ELSE value END, {new} FROM tags "
                f"WHERE {base}"
            )
    conn.close()


def copy(source: MlflowClient, target: MlflowClient, limit: int | None = None) -> int:
    """The anchor: every run (or the first ``limit``) re-logged into another MLflow store with
    MLflow's client."""
    copied = 0
    for exp in source.search_experiments():
        token: Any = None
        new_exp: str | None = None
        while True:
            page = source.search_runs([exp.experiment_id], max_results=200, page_token=token)
            for run in page:
                if new_exp is None:
                    new_exp = target.create_experiment(exp.name)
                info = run.info
                new = target.create_run(
                    new_exp, start_time=info.start_time, run_name=info.run_name
                ).info.run_id
                points = [
                    m
                    for key in run.data.metrics
                    for m in source.get_metric_history(info.run_id, key)
                ]
                target.log_batch(
                    new,
                    params=[Param(k, v) for k, v in run.data.params.items()],
                    tags=[RunTag(k, v) for k, v in run.data.tags.items()],
                )
                for start in range(0, len(points), BATCH):
                    target.log_batch(new, metrics=points[start : start + BATCH])
                target.set_terminated(new, info.status, end_time=info.end_time)
                copied += 1
                if limit is not None and copied >= limit:
                    return copied
            token = page.token
            if not token:
                break
    return copied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--params", type=int, default=20)
    parser.add_argument("--metrics", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--replicate", type=int, default=1, metavar="K")
    parser.add_argument("--anchor-runs", type=int, default=None, metavar="M")
    parser.add_argument("--profile", default=None, metavar="FILE")
    args = parser.parse_args()
    size = (
        f"{args.runs:,} runs x {args.params} params x {args.metrics} metrics x {args.steps} steps "
        f"({args.runs * args.metrics * args.steps:,} metric points)"
    )
    print(f"size: {size}; target scale: 10,000 runs x 20 x 5 x 100")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source_uri = f"sqlite:///{root / 'source.db'}"
        started = time.perf_counter()
        logged = args.runs // args.replicate
        build(MlflowClient(source_uri), logged, args.params, args.metrics, args.steps)
        if args.replicate > 1:
            replicate(root / "source.db", args.replicate)
        print(
            f"set-up (MLflow source: {logged:,} runs built with log_batch, copied "
            f"x{args.replicate}): {time.perf_counter() - started:.1f} s"
        )

        target = MlflowClient(f"sqlite:///{root / 'copy.db'}")
        source = MlflowClient(source_uri)
        target.search_experiments(max_results=1)  # its schema made before the clock starts
        source.search_experiments(max_results=1)
        started = time.perf_counter()
        copied = copy(source, target, args.anchor_runs)
        anchor = (time.perf_counter() - started) * args.runs / copied

        store = open_store(f"sqlite:///{root / 'mlops.db'}", str(root / "objects"))
        profile = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profile is not None:
            profile.enable()
        report = import_mlflow(source_uri, store=store)
        if profile is not None:
            profile.disable()
            profile.dump_stats(args.profile)
        ours = time.perf_counter() - started
        started = time.perf_counter()
        again = import_mlflow(source_uri, store=store)
        second = time.perf_counter() - started
        store.close()
    assert report.runs_imported == args.runs, report.runs_imported
    assert copied == (args.anchor_runs or args.runs), copied
    assert again.runs_imported == 0 and again.runs_present == args.runs
    scaled = f" (timed on {copied:,} runs, scaled per run)" if copied < args.runs else ""
    print(f"MLflow client copy (log_batch) into MLflow/SQLite: {anchor:8.1f} s{scaled}")
    print(f"jupyter-mlops import mlflow:                       {ours:8.1f} s")
    print(
        f"ratio (copy / import):                             {anchor / ours:8.2f}x (target >= 10x)"
    )
    print(f"second import (adds nothing):                      {second:8.1f} s")
    per_run = ours / args.runs
    print(
        f"import per run {per_run * 1000:.1f} ms; at 10,000 runs that is ~{per_run * 10_000:.0f} s "
        "(target < 60 s)"
    )


if __name__ == "__main__":
    main()
