"""Benchmark the first tracked fit in a real kernel, as a user sees it.

Run: ``.venv/bin/python benchmarks/bench_capture_kernel.py [--kernels N]``. Each case starts
a fresh IPython kernel (``%load_ext jupyter_mlops``, the framework imported, one untracked
warm-up fit: scikit-learn's and the framework's own first-call costs belong to neither side,
and one trivial tracked cell: the store and the capture machinery are set up),
then times the same training cell untracked, and then as the kernel's *first* ``%%mlops track``
cell, from the execute request to:

* **output**: the cell's value (``Out``) shown, which is what the user waits for;
* **done**: the execute reply (the kernel takes the next cell).

Medians over ``--kernels`` fresh kernels. The first tracked scikit-learn cell used to wait
for skops (the model serializer, which imports torch when it is installed) before its output
showed; now the model is saved after the output (``done`` still includes it).
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager

SETUP = """%load_ext jupyter_mlops
import numpy as np, pandas as pd
rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=(10_000, 20)), columns=[f"f{i}" for i in range(20)])
y = (X["f0"] + X["f1"] + rng.normal(scale=2.0, size=len(X)) > 0).astype(int)
"""

#: case -> (import cell, training cell whose last line is shown as Out).
CASES: dict[str, tuple[str, str]] = {
    "sklearn": (
        "from sklearn.linear_model import LogisticRegression",
        "model = LogisticRegression().fit(X, y)\nmodel.score(X, y)",
    ),
    "statsmodels": (
        "import statsmodels.api as sm",
        "model = sm.Logit(y, sm.add_constant(X)).fit(disp=0)\nmodel.llf",
    ),
}


def _timed(client: Any, code: str) -> tuple[float, float]:
    """Seconds from sending ``code`` to its Out (execute_result) and to its reply."""
    while True:  # drop what earlier cells left on iopub
        try:
            client.get_iopub_msg(timeout=0.05)
        except queue.Empty:
            break
    start = time.perf_counter()
    msg_id = client.execute(code)
    output = None
    while True:
        msg = client.get_iopub_msg(timeout=300)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "execute_result" and output is None:
            output = time.perf_counter() - start
        elif kind == "error":
            raise RuntimeError(f"{msg['content']['ename']}: {msg['content']['evalue']}\n{code}")
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = client.get_shell_msg(timeout=300)
    done = time.perf_counter() - start
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell failed:\n{code}")
    return output if output is not None else done, done


def one_kernel(case: str) -> dict[str, float]:
    imports, cell = CASES[case]
    tree = str(Path(__file__).resolve().parents[1])
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
        env["PYTHONPATH"] = tree + os.pathsep + env.get("PYTHONPATH", "")
        manager = KernelManager(kernel_name="python3")
        manager.start_kernel(cwd=tmp, env=env)
        client = manager.client()
        try:
            client.start_channels()
            client.wait_for_ready(timeout=120)
            _timed(client, SETUP + imports)
            _timed(client, cell)  # warm-up: the framework's first fit
            # The store, the capture machinery and the first run: paid by any first tracked
            # cell, fit or not; what is timed below is the first tracked *fit*.
            _timed(client, "%%mlops track\nwarm = 1")
            plain = [_timed(client, cell)[0] for _ in range(3)]
            out, done = _timed(client, f"%%mlops track\n{cell}")
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    return {"plain": statistics.median(plain), "output": out, "done": done}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kernels", type=int, default=3, help="fresh kernels per case")
    parser.add_argument("--only", nargs="*", choices=sorted(CASES))
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"first tracked cell in a fresh kernel, medians; load average {load:.1f}")
    for case in CASES:
        if args.only and case not in args.only:
            continue
        rows = [one_kernel(case) for _ in range(args.kernels)]
        plain, out, done = (statistics.median(r[k] * 1000 for r in rows) for k in rows[0])
        print(
            f"{case:<12} untracked {plain:8.1f} ms   first tracked: output {out:8.1f} ms "
            f"({out / plain:5.2f}x)   done {done:8.1f} ms ({done / plain:5.2f}x)",
            file=sys.stdout,
        )


if __name__ == "__main__":
    main()
