"""The first scikit-learn model of a kernel is saved while skops, its serializer, still imports.

Run in a fresh interpreter (skops is not imported yet there), like a kernel's first cells.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import json, sys
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
import jupyter_mlops as mlops
from jupyter_mlops.store import open_store
from jupyter_mlops.tracking.capture import capturing

X, y = load_iris(return_X_y=True)
ns = {"X": X, "y": y, "LogisticRegression": LogisticRegression}
store = open_store(f"sqlite:///{sys.argv[1]}/m.db", f"{sys.argv[1]}/objects")
run = mlops.start_run("first", experiment="e", store=store)
with capturing(run, user_ns=ns):
    exec("model = LogisticRegression(C=1.0, max_iter=500).fit(X, y)", ns)
# The next cell changes the same object before the first model was written.
ns["model"].set_params(C=0.001).fit(X, y)
run.end()
record = mlops.get_run(run.id, store=store)
models = [(m.name, m.format) for m in record.models]
mlops.models.register(run.id, "first", model="model", store=store)
loaded = mlops.models.load("models:/first/1", store=store)
print(json.dumps({"models": models, "C": loaded.C}))
"""


def test_the_first_model_is_saved_as_its_cell_left_it(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["models"] == [["model", "skops"]]
    assert out["C"] == 1.0  # not the refit the next cell made
