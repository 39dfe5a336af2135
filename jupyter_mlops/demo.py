"""`make demo` / `jupyter-mlops demo`: run the example notebooks headlessly, then summarise."""

from __future__ import annotations

import sys
import time
from pathlib import Path

EXAMPLES = ("01_track_experiments.ipynb",)


def examples_dir() -> Path:
    """The example notebooks shipped beside the package in a source checkout."""
    return Path(__file__).resolve().parent.parent / "example_notebooks"


def run_demo(folder: Path | None = None) -> int:
    """Execute each example with papermill into ``output/`` and print the runs table."""
    import papermill as pm

    from jupyter_mlops import search_runs

    folder = folder or examples_dir()
    out = folder / "output"
    out.mkdir(exist_ok=True)
    for name in EXAMPLES:
        started = time.perf_counter()
        print(f"▶ {name}", flush=True)
        pm.execute_notebook(
            str(folder / name),
            str(out / name),
            cwd=str(folder),
            kernel_name="python3",
            progress_bar=False,
        )
        print(f"  ✓ done in {time.perf_counter() - started:.1f} s → {out / name}", flush=True)
    runs = search_runs(order_by=["start_time desc"], limit=20)
    cols = [c for c in ("short_id", "name", "experiment", "status", "duration") if c in runs]
    cols += [c for c in runs.columns if c.startswith("metrics.")][:4]
    print("\nRuns in the store (newest first):")
    print(runs[cols].to_string(index=False) if len(runs) else "(none)")
    print("\nExplore: jupyter-mlops runs | jupyter-mlops show RUN | jupyter-mlops doctor")
    return 0


if __name__ == "__main__":
    sys.exit(run_demo())
