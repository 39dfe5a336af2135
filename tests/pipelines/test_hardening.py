"""Issue 15, items 19-23, on real notebooks in real kernels through ``jupyter-mlops run`` and
``%mlops pipeline``: quiet kernels, a cached rerun that says so, ``--only --force``, a
tightened gate, notebook parameters apart from estimator params."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from IPython.utils.capture import capture_output

import jupyter_mlops as mlops
from tests.conftest import RaisingShell, Result


def notebook(path: Path, params: str, *cells: str) -> None:
    nb = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell(params)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


SPEC = """\
name: hard
steps:
  make: {notebook: make.ipynb, outputs: [x.txt]}
  score: {notebook: score.ipynb, needs: [make], inputs: [x.txt], gate: "metrics.auc >= GATE"}
  report: {notebook: report.ipynb, needs: [score]}
"""


def write_spec(root: Path, gate: float) -> None:
    (root / "pipeline.yaml").write_text(SPEC.replace("GATE", str(gate)))


@pytest.fixture
def project(store_dir: Path) -> Path:
    notebook(store_dir / "make.ipynb", "n = 2", "open('x.txt', 'w').write(str(n))")
    notebook(
        store_dir / "score.ipynb",
        "auc = 0.9",
        "import jupyter_mlops as mlops\nmlops.log_metric('auc', auc)",
    )
    notebook(store_dir / "report.ipynb", "x = 0", "print('report')")
    write_spec(store_dir, 0.5)
    return store_dir


def statuses(detail: dict) -> dict[str, str]:
    return {s["step"]: s["status"] for s in detail["step_runs"]}


def test_19_step_kernels_print_no_transport_warning(project: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    done = subprocess.run(
        [sys.executable, "-m", "jupyter_mlops.cli", "run", "pipeline.yaml"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ report" in done.stdout or "report" in done.stdout
    both = done.stdout + done.stderr
    assert "without encryption" not in both
    assert "IPKernelApp" not in both


def test_20_a_rerun_with_nothing_changed_says_every_step_is_cached(
    project: Path, cli: Callable[..., Result], ip: RaisingShell
) -> None:
    first = cli("run", "pipeline.yaml")
    assert first.code == 0, first.err
    assert first.out.splitlines()[-1] == "0 steps cached, 3 ran"

    again = cli("run", "pipeline.yaml")
    assert again.code == 0, again.err
    lines = again.out.splitlines()
    assert lines[-1] == "3 steps cached, 0 ran"
    for step in ("make", "score", "report"):
        (line,) = [x for x in lines if f" {step} " in x]
        assert line.split()[2:4] == ["cached", "up"], line  # "≡ make  cached  up to date"
    detail = json.loads(cli("run", "pipeline.yaml", "--format", "json").out)
    assert detail["run"]["summary"] == "3 steps cached, 0 ran"
    assert set(statuses(detail).values()) == {"cached"}

    with capture_output() as shown:
        record = ip.run_cell("%mlops pipeline run pipeline.yaml").result
    assert record.run.summary == "3 steps cached, 0 ran"
    assert [s.status for s in record.step_runs] == ["cached"] * 3
    last = shown.outputs[-1].data
    assert "3 steps cached, 0 ran" in last["text/html"]
    assert "3 steps cached, 0 ran" in last["text/plain"]


def test_21_only_with_force_runs_only_that_step(project: Path, cli: Callable[..., Result]) -> None:
    assert cli("run", "pipeline.yaml").code == 0
    out = cli("run", "pipeline.yaml", "--only", "score", "--force", "--format", "json")
    assert out.code == 0, out.err
    detail = json.loads(out.out)
    assert statuses(detail) == {"make": "cached", "score": "ok", "report": "cached"}
    assert detail["run"]["summary"] == "2 steps cached, 1 ran"
    # --from with --force: that step and what follows it, not the steps before
    detail = json.loads(
        cli("run", "pipeline.yaml", "--from", "score", "--force", "--format", "json").out
    )
    assert statuses(detail) == {"make": "cached", "score": "ok", "report": "ok"}


def test_22_a_tightened_gate_fails_the_cached_step_without_rerunning_it(
    project: Path, cli: Callable[..., Result]
) -> None:
    first = json.loads(cli("run", "pipeline.yaml", "--format", "json").out)
    score_run = {s["step"]: s["run_id"] for s in first["step_runs"]}["score"]

    write_spec(project, 0.95)
    status = cli("status", "pipeline.yaml")
    assert "gate failed: metrics.auc >= 0.95" in status.out
    tight = cli("run", "pipeline.yaml", "--format", "json")
    assert tight.code == 1
    detail = json.loads(tight.out)
    assert statuses(detail) == {"make": "cached", "score": "failed", "report": "skipped"}
    score = {s["step"]: s for s in detail["step_runs"]}["score"]
    assert score["run_id"] == score_run  # judged on the cached result: nothing re-ran
    assert "gate failed: metrics.auc >= 0.95" in score["reason"]
    assert detail["run"]["summary"] == "1 step cached, 1 ran, 1 failed, 1 skipped"
    assert "step 'score' failed: gate failed: metrics.auc >= 0.95" in tight.err

    write_spec(project, 0.5)  # loosened again: green from the cache
    loose = json.loads(cli("run", "pipeline.yaml", "--format", "json").out)
    assert statuses(loose) == dict.fromkeys(("make", "score", "report"), "cached")


def test_23_notebook_parameters_and_estimator_params_are_kept_apart(
    store_dir: Path, cli: Callable[..., Result]
) -> None:
    notebook(
        store_dir / "fit.ipynb",
        "C = 1.0",
        "from sklearn.datasets import load_iris\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "X, y = load_iris(return_X_y=True)\n"
        "model = LogisticRegression(C=C * 10, max_iter=300).fit(X, y)",
    )
    done = cli("run", "fit.ipynb", "-p", "C=0.5", "--format", "json")
    assert done.code == 0, done.err
    (step,) = json.loads(done.out)["step_runs"]
    params = mlops.get_run(step["run_id"]).params
    assert float(params["C"]) == 0.5  # what the notebook was given
    assert float(params["logisticregression.C"]) == 5.0  # what the estimator was fitted with
    assert float(params["logisticregression.max_iter"]) == 300
