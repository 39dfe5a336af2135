"""`make demo` / `python -m jupyter_mlops.demo`: the lifecycle headlessly, then a summary.

Tracks experiments (01), runs the example pipeline in ``dev``, promotes that version to
``staging`` and runs it there, then runs the monitoring example (04), which detects drift on a
shifted batch, alerts a local webhook and triggers the retrain pipeline.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

NOTEBOOKS = ("01_track_experiments.ipynb", "04_monitoring.ipynb")


def examples_dir() -> Path:
    """The example notebooks shipped beside the package in a source checkout."""
    return Path(__file__).resolve().parent.parent / "example_notebooks"


def _notebook(folder: Path, name: str) -> None:
    import papermill as pm

    out = folder / "output"
    out.mkdir(exist_ok=True)
    started = time.perf_counter()
    print(f"▶ {name}", flush=True)
    pm.execute_notebook(
        str(folder / name),
        str(out / name),
        cwd=str(folder),
        kernel_name="python3",
        progress_bar=False,
    )
    print(f"  ✓ {time.perf_counter() - started:.1f} s → {out / name}", flush=True)


def _pipeline(spec: Path) -> None:
    from jupyter_mlops.pipelines import promote_pipeline, run_pipeline

    for env in ("dev", "staging"):
        started = time.perf_counter()
        print(f"▶ pipeline {spec.parent.name} in {env}", flush=True)
        result = run_pipeline(spec, env=env)
        states = ", ".join(f"{name}={step.status}" for name, step in result.steps.items())
        print(f"  {'✓' if result.ok else '✗'} {states} ({time.perf_counter() - started:.1f} s)")
        if not result.ok:
            raise SystemExit(1)
        if env == "dev":
            promote_pipeline(str(spec), from_env="dev", to_env="staging", reason="demo")
            print("  promoted the dev version to staging", flush=True)


def run_demo(folder: Path | None = None) -> int:
    """Run the examples against the project's store and print what they left there."""
    folder = folder or examples_dir()
    total = time.perf_counter()
    _notebook(folder, NOTEBOOKS[0])
    _pipeline(folder / "pipeline" / "pipeline.yaml")
    _notebook(folder, NOTEBOOKS[1])
    _summary(folder, time.perf_counter() - total)
    return 0


def _summary(folder: Path, seconds: float) -> None:
    from jupyter_mlops import models, search_runs

    runs = search_runs(order_by=["start_time desc"], limit=12)
    cols = [c for c in ("short_id", "name", "experiment", "status") if c in runs]
    cols += [
        c for c in ("metrics.roc_auc_score", "metrics.roc_auc", "metrics.drift.share") if c in runs
    ]
    print(f"\nDone in {seconds:.0f} s. Newest runs:")
    print(runs[cols].to_string(index=False) if len(runs) else "(none)")
    versions = models.list()
    if len(versions):
        print("\nRegistered models:")
        print(versions.to_string(index=False))
    print(f"\nReports: {folder / 'output'} and {folder / 'pipeline' / '.mlops-runs'}")
    print("Explore: jupyter-mlops runs | jupyter-mlops models | jupyter-mlops schedule list")


if __name__ == "__main__":
    sys.exit(run_demo())
