"""Benchmark framework capture: the same training cell untracked and tracked, per framework.

Run: ``.venv/bin/python benchmarks/bench_capture_frameworks.py [--repeat N] [--mlflow N]``
(needs the ``[frameworks]`` extra; frameworks not installed are skipped). For each framework
the cell runs without capture and inside ``capturing(run, user_ns=ns)`` as a notebook cell
(:mod:`jupyter_mlops.tracking.after_cell` opened, as ``pre_run_cell`` does), interleaved, on
5,000 x 10 generated rows; it prints the medians (ms), the overhead (tracked - untracked: what
the user waits for before the cell's output), the ratio tracked / untracked measured in the
same run, the ratio of the cell thread's CPU time (``time.thread_time``: steadier than wall
time on a loaded machine, and blind to background threads), and "after ms": the work done
after the output, still in the cell's thread (``post_run_cell``: the model saved in the
framework's format, a statsmodels summary). Budget: overhead beyond the model save < 50 ms.

``--mlflow N`` (default 3; 0 skips it) then runs each cell N times untracked and under
``mlflow.<flavour>.autolog()`` with its defaults (a SQLite tracking URI, each cell in a fresh
run started and ended outside the timing) in a fresh ``--mlflow-python`` interpreter (default:
this one; MLflow or mlflow-skinny and the frameworks) that never imports jupyter_mlops, and
prints its overhead beside ours (overhead + after: all our work in the cell's thread) as a
ratio. Target: at least 20x less. MLflow has no autolog for CatBoost, plain PyTorch or Optuna.
Most of MLflow's time is logging the model (inferring its pip requirements in a subprocess);
``--mlflow-without-models`` measures ``autolog(log_models=False)`` instead, for reference.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pandas as pd

from jupyter_mlops import start_run
from jupyter_mlops.store import open_store
from jupyter_mlops.tracking import after_cell
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
    "lightning": (
        "import torch, lightning.pytorch as pl, logging\n"
        "logging.getLogger('lightning.pytorch').setLevel(logging.ERROR)\n"
        "class Net(pl.LightningModule):\n"
        "    def __init__(self, width=10):\n"
        "        super().__init__(); self.save_hyperparameters()\n"
        "        self.lin = torch.nn.Linear(width, 1)\n"
        "    def training_step(self, batch, i):\n"
        "        x, t = batch; loss = ((self.lin(x).squeeze(1) - t) ** 2).mean()\n"
        "        self.log('loss', loss); return loss\n"
        "    def configure_optimizers(self): return torch.optim.SGD(self.parameters(), lr=0.1)\n"
        "as_t = lambda v: torch.tensor(v.to_numpy(), dtype=torch.float32)\n"
        "loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(as_t(X), as_t(y)),"
        " batch_size=500)",
        "m = Net()\n"
        "pl.Trainer(max_epochs=3, logger=False, enable_progress_bar=False, log_every_n_steps=1,"
        " enable_checkpointing=False, enable_model_summary=False).fit(m, loader)",
    ),
    "optuna": (
        "import optuna\noptuna.logging.set_verbosity(optuna.logging.WARNING)",
        "s = optuna.create_study()\ns.optimize(lambda t: (t.suggest_float('x', -1, 1) - 0.3) ** 2, "
        "n_trials=20)",
    ),
}


#: framework -> the ``mlflow.<flavour>`` whose ``autolog()`` is the anchor (none: MLflow has no
#: autolog for CatBoost, plain PyTorch loops or Optuna).
AUTOLOG: dict[str, str] = {
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "statsmodels": "statsmodels",
    "keras": "keras",
    "lightning": "pytorch",
}

MLFLOW_AUTOLOG = """
import json, logging, os, statistics, sys, tempfile, time, warnings
os.environ.setdefault("KERAS_BACKEND", "torch")
import importlib
import numpy as np, pandas as pd
import mlflow

flavour, setup, cell, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
options = {"silent": True, "log_models": sys.argv[5] == "models"}
logging.getLogger("mlflow").setLevel(logging.ERROR)
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=(6_000, 10)), columns=[f"f{i}" for i in range(10)])
y = (X["f0"] + X["f1"] + rng.normal(scale=1.0, size=len(X)) > 0).astype(int)
ns = {"__name__": "__main__", "X": X[:5000], "y": y[:5000], "Xv": X[5000:], "yv": y[5000:]}
exec(setup, ns)
code = compile(cell, "<cell>", "exec")
exec(code, ns)
autolog = importlib.import_module(f"mlflow.{flavour}").autolog
with tempfile.TemporaryDirectory() as tmp:
    os.chdir(tmp)
    mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
    mlflow.create_experiment("bench", artifact_location=f"file://{tmp}/artifacts")
    mlflow.set_experiment("bench")
    autolog(**options)
    with mlflow.start_run():  # warm-up: MLflow's own first-call costs
        exec(code, ns)
    plain, tracked = [], []
    for _ in range(repeat):
        autolog(disable=True)
        t = time.perf_counter(); exec(code, ns); plain.append(time.perf_counter() - t)
        autolog(**options)
        mlflow.start_run()  # started and ended outside the timing, as ours
        t = time.perf_counter(); exec(code, ns); tracked.append(time.perf_counter() - t)
        mlflow.end_run()
print(json.dumps({"plain": statistics.median(plain), "tracked": statistics.median(tracked),
                  "version": mlflow.__version__}))
"""


def mlflow_autolog(
    python: str, name: str, setup: str, cell: str, repeat: int, models: bool = True
) -> dict[str, Any] | str:
    """The cell untracked and under ``mlflow.<flavour>.autolog()`` (defaults, SQLite tracking
    URI), in a fresh ``python`` that never imports jupyter_mlops; or why it could not run."""
    try:
        out = subprocess.run(
            [
                *(python, "-c", MLFLOW_AUTOLOG, AUTOLOG[name], setup, cell, str(repeat)),
                "models" if models else "no-models",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
    except subprocess.TimeoutExpired:
        return "took over 30 minutes"
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines() or ["no output"]
        return lines[-1]
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


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
    keys = ("plain", "tracked", "plain_cpu", "cpu", "after")
    samples: dict[str, list[float]] = {k: [] for k in keys}
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
            after_cell.open_cell()  # as a notebook's pre_run_cell does
            start, start_cpu = wall(), cpu()
            with capturing(run, user_ns=ns):
                exec(code, ns)
            samples["tracked"].append(wall() - start)
            samples["cpu"].append(cpu() - start_cpu)
            # What capture does after the cell's output, in its thread (post_run_cell): the
            # model saved, a statsmodels summary.
            start = wall()
            after_cell.close_cell()
            samples["after"].append(wall() - start)
            # The buffered records: written by a background thread in a notebook; here,
            # before the next untracked cell, so that work is never timed as part of it.
            run.flush()
    return {k: statistics.median(v) * 1000 for k, v in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", nargs="*", choices=sorted(CELLS), help="these frameworks only")
    parser.add_argument(
        "--mlflow", type=int, default=3, help="cells under MLflow autolog per framework (0: none)"
    )
    parser.add_argument(
        "--mlflow-python",
        default=sys.executable,
        help="the anchor's interpreter: MLflow (mlflow-skinny is enough) and the frameworks",
    )
    parser.add_argument(
        "--mlflow-without-models",
        action="store_true",
        help="the anchor with autolog(log_models=False): MLflow's params and metrics only",
    )
    args = parser.parse_args()
    os.chdir(tempfile.mkdtemp())
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"framework capture, medians; {os.cpu_count()} CPUs, load average {load:.1f}")
    head = ("framework", "untracked ms", "tracked ms", "overhead ms", "ratio", "CPU ratio")
    print("{:<12} {:>13} {:>11} {:>12} {:>6} {:>9} {:>9}".format(*head, "after ms"))
    anchors: list[str] = []
    for name, (setup, cell) in CELLS.items():
        if args.only and name not in args.only:
            continue
        if importlib.util.find_spec(name) is None:
            print(f"{name:<12} not installed: skipped")
            continue
        ms = bench(name, setup, cell, args.repeat)
        plain, tracked = ms["plain"], ms["tracked"]
        row = (name, plain, tracked, tracked - plain, tracked / plain, ms["cpu"] / ms["plain_cpu"])
        print(
            "{:<12} {:>13.1f} {:>11.1f} {:>12.1f} {:>6.2f} {:>9.2f} {:>9.1f}".format(
                *row, ms["after"]
            ),
            flush=True,
        )
        if args.mlflow > 0:  # ours: all our work in the cell's thread, before output or after
            anchors.append(anchor_line(args, name, setup, cell, tracked - plain + ms["after"]))
    if anchors:
        how = "log_models=False" if args.mlflow_without_models else "its defaults"
        print(f"against mlflow.<flavour>.autolog() on the same cell ({how}; target 20x):")
        print("\n".join(anchors))


def anchor_line(args: argparse.Namespace, name: str, setup: str, cell: str, ours: float) -> str:
    """One line: MLflow autolog's overhead on the cell beside ours, as a ratio."""
    if name not in AUTOLOG:
        return f"{name:<12} MLflow has no autolog for it"
    models = not args.mlflow_without_models
    figures = mlflow_autolog(args.mlflow_python, name, setup, cell, args.mlflow, models)
    if isinstance(figures, str):
        return f"{name:<12} mlflow.{AUTOLOG[name]}.autolog() could not run: {figures}"
    plain, tracked = figures["plain"] * 1000, figures["tracked"] * 1000
    theirs = tracked - plain
    times = theirs / ours if ours > 0 else float("inf")
    return (
        f"{name:<12} MLflow {figures['version']} untracked {plain:8.1f} ms   autolog "
        f"{tracked:8.1f} ms   overhead {theirs:8.1f} ms   ours {ours:7.1f} ms   "
        f"{times:6.1f}x less   {'ok' if times >= 20 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
