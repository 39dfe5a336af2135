"""A tracked notebook run in a real kernel, and a clone of its project folder."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest

from jupyter_mlops.store import reset_current_store

KERNEL = "python3"


def write_data(folder: Path) -> Path:
    """scikit-learn's breast cancer data as ``data/train.csv`` in ``folder``."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    path = folder / "data" / "train.csv"
    path.parent.mkdir(exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def notebook(model: str, *, name: str = "repro-demo") -> list[str]:
    """A line-tracked notebook reading ``data/train.csv`` and fitting ``model``."""
    return [
        "%load_ext jupyter_mlops",
        f"%mlops track {name}",
        "import numpy as np\nimport pandas as pd\n"
        "from sklearn.metrics import roc_auc_score\n"
        "from sklearn.model_selection import train_test_split",
        "note = 'nothing uses this'",
        "df = pd.read_csv('data/train.csv')\nsummary = df.describe()",
        "X = df.drop(columns=['target']).to_numpy()\ny = df['target'].to_numpy()\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)",
        f"model = {model}.fit(X_train, y_train)\n"
        "auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])\n"
        "acc = model.score(X_test, y_test)",
        "%mlops stop",
    ]


@pytest.fixture
def run_tracked(store_dir: Path) -> Callable[..., Any]:
    """Execute a notebook of ``cells`` with papermill in ``store_dir`` (the project)."""

    def run(cells: list[str], name: str = "train") -> Path:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        nb.metadata["kernelspec"] = {
            "name": KERNEL,
            "display_name": "Python 3",
            "language": "python",
        }
        path = store_dir / f"{name}.ipynb"
        nbformat.write(nb, path)
        papermill.execute_notebook(
            str(path),
            str(store_dir / f"{name}.out.ipynb"),
            kernel_name=KERNEL,
            cwd=str(store_dir),
            progress_bar=False,
            execution_timeout=240,
        )
        return path

    return run


@pytest.fixture
def clone(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], Path]:
    """Copy the project (store and objects) to a new folder without its notebooks; cd there."""

    def make() -> Path:
        target = store_dir.parent / f"{store_dir.name}-clone"
        shutil.copytree(store_dir, target)
        for path in target.glob("*.ipynb"):
            path.unlink()
        shutil.rmtree(target / "data", ignore_errors=True)
        monkeypatch.chdir(target)
        reset_current_store()
        return target

    return make
