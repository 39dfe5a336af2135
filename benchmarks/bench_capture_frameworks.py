"""Benchmark framework capture: the same training cell untracked and tracked, per framework.

Run: ``.venv/bin/python benchmarks/bench_capture_frameworks.py [--repeat N]`` (needs the
``[frameworks]`` extra; frameworks not installed are skipped). For each framework the cell
runs without capture and inside ``capturing(run, user_ns=ns)``, interleaved, on 5,000 x 10
generated rows; it prints the medians (ms), the overhead (tracked - untracked, which includes
saving the model in the framework's format) and the ratio tracked / untracked measured in the
same run, and the ratio of the cell thread's CPU time (``time.thread_time``: steadier than wall
time on a loaded machine, and blind to background threads). Budget: overhead beyond the model
save < 50 ms per fit. "after ms" is the flush
after each tracked cell (untimed in the cell: in a notebook the background threads do it):
the buffered records, and the work capture deferred off the cell (a statsmodels summary).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import tempfile
import time
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pandas as pd

from jupyter_mlops import start_run
from jupyter_mlops.store import open_store
from jupyter_mlops.tracking.capture import capturing

CELLS: dict[str, tuple[str, str]] = {
    "xgboost": (
        "import xgboost as xgb",
        "m = xgb.XGBClassifier(n_estimators=50, max_depth=4, n_jobs=1).fit("
        "X, y, eval_set=[(Xv, yv)], verbose=False)",
    ),
    "lightgbm": (
        "import lightgbm as lgb",
        "m = lgb.LGBMClassifier(n_estimators=50, verbose=-1, n_jobs=1)"
        ".fit(X, y, eval_X=Xv, eval_y=yv)",
    ),
    "catboost": (
        "from catboost import CatBoostClassifier",
        "m = CatBoostClassifier(iterations=50, verbose=False, allow_writing_files=False,"
        " thread_count=1)"
        ".fit(X, y, eval_set=(Xv, yv))",
    ),
    "statsmodels": (
        "import statsmodels.api as sm",
        "m = sm.Logit(y, sm.add_constant(X)).fit(disp=0)",
    ),
    "keras": (
        "import keras\n"
        "net = lambda: keras.Sequential([keras.Input((10,)), keras.layers.Dense(16, "
        "activation='relu'), keras.layers.Dense(1, activation='sigmoid')])",
        "m = net(); m.compile(optimizer='adam', loss='binary_crossentropy')\n"
        "m.fit(X.to_numpy('float32'), y.to_numpy('float32'), epochs=3, batch_size=256, "
        "verbose=0, validation_data=(Xv.to_numpy('float32'), yv.to_numpy('float32')))",
    ),
    "torch": (
        "import torch\n"
        "Xt = torch.tensor(X.to_numpy(), dtype=torch.float32)\n"
        "yt = torch.tensor(y.to_numpy(), dtype=torch.float32)",
        "m = torch.nn.Linear(10, 1); opt = torch.optim.SGD(m.parameters(), lr=0.1)\n"
        "for _ in range(50):\n"
        "    opt.zero_grad(); loss = ((m(Xt).squeeze(1) - yt) ** 2).mean()\n"
        "    loss.backward(); opt.step()\n"
        "torch.save(m.state_dict(), 'w.pt')",
    ),
    "optuna": (
        "import optuna\noptuna.logging.set_verbosity(optuna.logging.WARNING)",
        "s = optuna.create_study()\ns.optimize(lambda t: (t.suggest_float('x', -1, 1) - 0.3) ** 2, "
        "n_trials=20)",
    ),
}


def namespace() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(6_000, 10)), columns=[f"f{i}" for i in range(10)])
    y = (X["f0"] + X["f1"] + rng.normal(scale=1.0, size=len(X)) > 0).astype(int)
    return {"__name__": "__main__", "X": X[:5000], "y": y[:5000], "Xv": X[5000:], "yv": y[5000:]}


def bench(name: str, setup: str, cell: str, repeat: int) -> dict[str, float]:
    """Medians (ms) of wall and cell-thread CPU time, untracked and tracked, and the flush."""
    ns = namespace()
    exec(setup, ns)
    code = compile(cell, f"<{name}>", "exec")
    exec(code, ns)  # warm-up: first-call costs belong to neither side
    store = open_store(f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    samples: dict[str, list[float]] = {k: [] for k in ("plain", "tracked", "plain_cpu", "cpu")}
    after: list[float] = []
    wall, cpu = time.perf_counter, time.thread_time
    with start_run(experiment="bench", store=store) as run:
        with capturing(run, user_ns=ns):
            exec(code, ns)  # warm-up of the tracked path (hooks built once per process)
        run.flush()
        for _ in range(repeat):
            start, start_cpu = wall(), cpu()
            exec(code, ns)
            samples["plain"].append(wall() - start)
            samples["plain_cpu"].append(cpu() - start_cpu)
            start, start_cpu = wall(), cpu()
            with capturing(run, user_ns=ns):
                exec(code, ns)
            samples["tracked"].append(wall() - start)
            samples["cpu"].append(cpu() - start_cpu)
            # What capture deferred off the cell (a statsmodels summary) and the buffered
            # records: written by background threads in a notebook; here, before the next
            # untracked cell, so that work is never timed as part of it.
            start = wall()
            run.flush()
            after.append(wall() - start)
    samples["after"] = after
    return {k: statistics.median(v) * 1000 for k, v in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", nargs="*", choices=sorted(CELLS), help="these frameworks only")
    args = parser.parse_args()
    os.chdir(tempfile.mkdtemp())
    head = ("framework", "untracked ms", "tracked ms", "overhead ms", "ratio", "CPU ratio")
    print("{:<12} {:>13} {:>11} {:>12} {:>6} {:>9} {:>9}".format(*head, "after ms"))
    for name, (setup, cell) in CELLS.items():
        if args.only and name not in args.only:
            continue
        top = "lightning" if name == "lightning" else name
        if importlib.util.find_spec(top) is None:
            print(f"{name:<12} not installed: skipped")
            continue
        ms = bench(name, setup, cell, args.repeat)
        plain, tracked = ms["plain"], ms["tracked"]
        row = (name, plain, tracked, tracked - plain, tracked / plain, ms["cpu"] / ms["plain_cpu"])
        print(
            "{:<12} {:>13.1f} {:>11.1f} {:>12.1f} {:>6.2f} {:>9.2f} {:>9.1f}".format(
                *row, ms["after"]
            )
        )


if __name__ == "__main__":
    main()
