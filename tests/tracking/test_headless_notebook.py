"""Notebooks executed headless (papermill, jupyter nbconvert/execute) record their path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import jupyter_mlops as mlops

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

CELLS = [
    "%load_ext jupyter_mlops",
    "%%mlops track headless\n"
    "from sklearn.datasets import load_iris\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "X, y = load_iris(return_X_y=True)\n"
    "model = LogisticRegression(max_iter=500).fit(X, y)",
]


def write_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


RUNNERS = {
    "papermill": lambda nb: [str(BIN / "papermill"), nb.name, "out.ipynb", "--no-progress-bar"],
    "nbconvert": lambda nb: [
        str(BIN / "jupyter-nbconvert"),
        "--to",
        "notebook",
        "--execute",
        nb.name,
        "--output",
        "out.ipynb",
    ],
    "execute": lambda nb: [str(BIN / "jupyter-execute"), nb.name],
}


@pytest.mark.parametrize("runner", sorted(RUNNERS))
def test_a_notebook_run_headless_records_its_path(store_dir: Path, runner: str) -> None:
    notebooks = store_dir / "notebooks"
    notebooks.mkdir()
    nb = write_notebook(notebooks / "train.ipynb")
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    subprocess.run(
        RUNNERS[runner](nb), cwd=notebooks, env=env, check=True, timeout=300, capture_output=True
    )
    run = mlops.get_run("headless")
    assert run.status == "finished"
    assert run.notebook_path == str(nb)
    assert run.notebook_digest is not None
    assert [m.name for m in run.models] == ["model"]


def test_a_line_form_run_with_joblib_workers_ends_finished_at_shutdown(store_dir: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(source)
        for source in [
            "%load_ext jupyter_mlops",
            "%mlops track workers",
            "from sklearn.datasets import load_iris\n"
            "from sklearn.linear_model import LogisticRegression\n"
            "from sklearn.model_selection import cross_val_score\n"
            "X, y = load_iris(return_X_y=True)\n"
            "scores = cross_val_score(LogisticRegression(max_iter=500), X, y, cv=3, n_jobs=2)",
        ]
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = store_dir / "workers.ipynb"
    nbformat.write(nb, path)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    subprocess.run(
        [str(BIN / "papermill"), path.name, "out.ipynb", "--no-progress-bar"],
        cwd=store_dir,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    run = mlops.get_run("workers")
    assert run.status == "finished"  # no %mlops stop: kernel shutdown ends it
    assert "cross_val_score.mean" in run.metrics
