"""Pipelines against papermill, measured in the same run on trivial notebooks.

    python benchmarks/bench_pipelines.py [--reps 3]

Targets (from the issue):

* a 5-step linear pipeline: at least 3x faster than running the same notebooks one after
  another with ``papermill.execute_notebook``. Both sides are warmed up first in this process
  (papermill's imports; our kernel fork server), then timed: that is the target's check.
  The first run of a fresh process, whose fork server starts within the run, is printed and
  checked apart, as is the CI figure;
* per-step overhead on the critical path under 100 ms (for steps 2..5: the time from the end
  of the previous step's notebook to the end of this one, minus the time its cells ran);
* the same pipeline again with nothing changed: under 0.3 s in total, no kernel started;
* a diamond (a -> b, c -> d; b and c sleep 0.5 s) with ``jobs=2``: faster than ``jobs=1``.

Also prints the figure CI sees (``jupyter-mlops run`` against a papermill script, each in a
fresh process) and the executor-level figure: 5 ``execute_step`` calls through
``make_executor("local", jobs=1)`` with the kernel pool, against papermill.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat

TRIVIAL = ["x = 1", "y = x + 1\nprint(y)"]


def notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell("n = 1")
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python", "language": "python"}
    nbformat.write(nb, path)
    return path


def project(root: Path) -> None:
    for folder in (".mlops", "pm", "ex"):
        (root / folder).mkdir(parents=True)
    for name in "abcde":
        notebook(root / f"{name}.ipynb", *TRIVIAL)
    linear = ["name: linear", "steps:"]
    for i, name in enumerate("abcde"):
        needs = f", needs: [{'abcde'[i - 1]}]" if i else ""
        linear.append(f"  {name}: {{notebook: {name}.ipynb{needs}}}")
    (root / "linear.yaml").write_text("\n".join(linear) + "\n")
    for name in "wz":
        notebook(root / f"{name}.ipynb", *TRIVIAL)
    for name in "xy":
        notebook(root / f"{name}.ipynb", "import time\ntime.sleep(0.5)")
    (root / "diamond.yaml").write_text(
        "name: diamond\nsteps:\n"
        "  a: {notebook: w.ipynb}\n"
        "  b: {notebook: x.ipynb, needs: [a]}\n"
        "  c: {notebook: y.ipynb, needs: [a]}\n"
        "  d: {notebook: z.ipynb, needs: [b, c]}\n"
    )


def papermill_sequential(root: Path) -> float:
    import papermill

    clock = time.perf_counter()
    for name in "abcde":
        papermill.execute_notebook(
            str(root / f"{name}.ipynb"),
            str(root / "pm" / f"{name}.ipynb"),
            parameters={"n": 2},
            kernel_name="python3",
            progress_bar=False,
            cwd=str(root),
        )
    return time.perf_counter() - clock


def _iso(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def critical_overheads(outputs: list[Path]) -> list[float]:
    """For steps 2..n: end of previous notebook -> end of this one, minus its cells."""
    ends, cells = [], []
    for path in outputs:
        nb = nbformat.read(path, as_version=4)
        ends.append(_iso(nb.metadata.papermill.end_time))
        cells.append(sum(c.metadata.papermill.duration or 0.0 for c in nb.cells))
    return [ends[i] - ends[i - 1] - cells[i] for i in range(1, len(outputs))]


def run_linear(root: Path, *, cold: bool) -> dict[str, Any]:
    """The linear pipeline; ``cold``: as the first run of a process (a new fork server)."""
    from jupyter_mlops.pipelines import forkserver, run_pipeline
    from jupyter_mlops.pipelines.executors import LocalExecutor
    from jupyter_mlops.pipelines.progress import NullProgress

    if cold:
        forkserver.close_shared()
    executor = LocalExecutor(jobs=1)
    clock = time.perf_counter()
    result = run_pipeline(
        root / "linear.yaml", executor=executor, force=True, progress=NullProgress()
    )
    total = time.perf_counter() - clock
    executor.close()
    assert result.ok, [s.error_line() for s in result.failed]
    outputs = [Path(str(result.steps[name].output_notebook)) for name in "abcde"]
    return {"total": total, "overheads": critical_overheads(outputs)}


def run_cached(root: Path) -> dict[str, Any]:
    from jupyter_mlops.pipelines import run_pipeline
    from jupyter_mlops.pipelines.executors import LocalExecutor
    from jupyter_mlops.pipelines.progress import NullProgress

    executor = LocalExecutor(jobs=1)
    clock = time.perf_counter()
    result = run_pipeline(root / "linear.yaml", executor=executor, progress=NullProgress())
    total = time.perf_counter() - clock
    started = sum(pool.started for pool in executor._pools.values())
    executor.close()
    assert result.ok
    statuses = sorted({s.status for s in result.steps.values()})
    return {"total": total, "kernels": started, "statuses": statuses}


def run_diamond(root: Path, jobs: int) -> float:
    from jupyter_mlops.pipelines import run_pipeline
    from jupyter_mlops.pipelines.progress import NullProgress

    clock = time.perf_counter()
    result = run_pipeline(root / "diamond.yaml", jobs=jobs, force=True, progress=NullProgress())
    assert result.ok, [s.error_line() for s in result.failed]
    return time.perf_counter() - clock


def executor_level(root: Path) -> float:
    from jupyter_mlops.pipelines import forkserver
    from jupyter_mlops.pipelines.execute import StepRequest
    from jupyter_mlops.pipelines.executors import make_executor

    forkserver.close_shared()  # as the first run of a process
    clock = time.perf_counter()
    executor = make_executor("local", jobs=1)
    try:
        executor.prepare(5)
        for name in "abcde":
            request = StepRequest(
                name, root / f"{name}.ipynb", root / "ex" / f"{name}.ipynb", {"n": 2}, root
            )
            assert executor.submit(request).result().ok
        return time.perf_counter() - clock
    finally:
        executor.close()


_PM_SCRIPT = """
import sys, papermill
root = sys.argv[1]
for name in "abcde":
    papermill.execute_notebook(f"{root}/{name}.ipynb", f"{root}/pm/{name}.ipynb",
        parameters={"n": 2}, kernel_name="python3", progress_bar=False, cwd=root)
"""


def from_shell(root: Path) -> tuple[float, float]:
    """As CI runs them, each in a fresh process: ``jupyter-mlops run`` vs a papermill script."""
    import subprocess
    import sys

    cli = Path(sys.executable).with_name("jupyter-mlops")
    clock = time.perf_counter()
    subprocess.run([sys.executable, "-c", _PM_SCRIPT, str(root)], check=True, cwd=root,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    pm = time.perf_counter() - clock
    clock = time.perf_counter()
    subprocess.run([str(cli), "run", "linear.yaml", "--force"], check=True, cwd=root,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return pm, time.perf_counter() - clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pipelines-") as tmp:
        root = Path(tmp)
        project(root)
        os.chdir(root)
        for key in [k for k in os.environ if k.startswith("MLOPS_")]:
            del os.environ[key]
        papermill_sequential(root)  # warm imports and file caches for both sides
        pm, ex, linear, warm, cached, d1, d2, shell = [], [], [], [], [], [], [], []
        for _ in range(args.reps):
            shell.append(from_shell(root))
            pm.append(papermill_sequential(root))
            ex.append(executor_level(root))
            linear.append(run_linear(root, cold=True))
            warm.append(run_linear(root, cold=False))
            cached.append(run_cached(root))
            d1.append(run_diamond(root, 1))
            d2.append(run_diamond(root, 2))
    med = statistics.median
    pm_t, ex_t = med(pm), med(ex)
    lin_t = med(r["total"] for r in linear)
    warm_t = med(r["total"] for r in warm)
    overheads = [o for r in linear + warm for o in r["overheads"]]
    print(f"cores: {os.cpu_count()}, reps: {args.reps} (medians)")
    print(f"papermill, 5 notebooks one after another : {pm_t:6.2f} s")
    print(f"execute_step x5 via local executor (pool) : {ex_t:6.2f} s  {pm_t / ex_t:4.1f}x faster")
    print(
        f"5-step linear pipeline, warmed up       : {warm_t:6.2f} s  {pm_t / warm_t:4.1f}x faster"
        f"  (target >= 3x: {'ok' if pm_t / warm_t >= 3 else 'MISSED'})"
    )
    print(
        f"  first run of a fresh process          : {lin_t:6.2f} s  {pm_t / lin_t:4.1f}x faster"
        f"  (>= 3x: {'ok' if pm_t / lin_t >= 3 else 'MISSED'})"
    )
    print(
        f"  per-step critical-path overhead, steps 2..5: median {med(overheads) * 1000:.0f} ms,"
        f" max {max(overheads) * 1000:.0f} ms (target < 100 ms:"
        f" {'ok' if med(overheads) < 0.1 else 'MISSED'})"
    )
    sh_pm, sh_us = med(p for p, _ in shell), med(u for _, u in shell)
    print(
        f"from a shell, fresh process each (CI)     : papermill script {sh_pm:.2f} s,"
        f" jupyter-mlops run {sh_us:.2f} s  {sh_pm / sh_us:4.1f}x faster"
    )
    cached_t = med(r["total"] for r in cached)
    kernels = max(r["kernels"] for r in cached)
    print(
        f"same pipeline, nothing changed            : {cached_t:6.2f} s, kernels started:"
        f" {kernels}, steps {cached[0]['statuses']} (target < 0.3 s, 0 kernels:"
        f" {'ok' if cached_t < 0.3 and kernels == 0 else 'MISSED'})"
    )
    print(
        f"diamond a -> b, c -> d (b, c sleep 0.5 s)  : jobs=1 {med(d1):.2f} s, jobs=2"
        f" {med(d2):.2f} s ({'ok' if med(d2) < med(d1) else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
