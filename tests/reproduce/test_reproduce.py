"""Reproducing runs from their record alone, in real kernels."""

from __future__ import annotations

from tests.reproduce.conftest import notebook, write_data

import jupyter_mlops as mlops
from jupyter_mlops.services import project
from jupyter_mlops.services.reproduce import reproduce
from jupyter_mlops.services.schema.reproduce import ReproduceRequest

LOGREG = "__import__('sklearn.linear_model').linear_model.LogisticRegression(max_iter=5000)"


def test_deterministic_notebook_reproduces_from_a_clone_without_its_notebook(
    store_dir, run_tracked, clone
) -> None:
    write_data(store_dir)
    run_tracked(notebook(LOGREG))
    original = mlops.get_run("repro-demo")
    assert original.status == "finished"
    folder = clone()
    assert not list(folder.glob("*.ipynb")) and not (folder / "data").exists()

    report = reproduce(project.store(), ReproduceRequest(target=original.id))

    assert report.verdict == "reproduced", report.message
    assert report.data == [f"data/train.csv ({original.inputs[0].digest[:12]})"]
    kept = {c.position: c.kept for c in report.cells}
    assert False in kept.values()  # `note = ...` is dropped
    again = mlops.get_run(report.reproduction_run_id)
    assert again.tags["mlops.reproduces"] == original.id
    assert again.metrics["roc_auc_score"] == original.metrics["roc_auc_score"]
