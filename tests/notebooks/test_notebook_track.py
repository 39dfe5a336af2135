"""%mlops in real notebooks executed by papermill in real kernels."""

from __future__ import annotations

import papermill
import pytest

import jupyter_mlops as mlops

TRAIN = [
    "%load_ext jupyter_mlops",
    "# parameters\nC = 1.0\nseed = 0",
    "from sklearn.datasets import load_breast_cancer\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from sklearn.metrics import roc_auc_score\n"
    "from sklearn.model_selection import train_test_split\n"
    "from sklearn.preprocessing import scale\n"
    "X, y = load_breast_cancer(return_X_y=True)\n"
    "X_train, X_test, y_train, y_test = train_test_split(scale(X), y, random_state=seed)",
    "%%mlops track breast-cancer --experiment cancer --tag owner=ana\n"
    "model = LogisticRegression(C=C).fit(X_train, y_train)\n"
    "auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])\n"
    "round(auc, 6)",
]


def test_tracked_training_cell_records_params_metric_and_model(run_notebook) -> None:
    nb = run_notebook("train", TRAIN, C=0.5, seed=7)
    run = mlops.get_run("breast-cancer")
    assert (run.status, run.experiment, run.tags) == ("finished", "cancer", {"owner": "ana"})
    assert run.params["C"] == "0.5"  # injected by papermill, and the estimator's own
    assert run.params["seed"] == "7"  # injected by papermill only
    auc = run.metrics["roc_auc_score"]
    assert 0.9 < auc <= 1.0
    [model] = run.models
    assert model.class_name.endswith("LogisticRegression")
    assert {i.role for i in run.inputs} >= {"training", "evaluation"}
    [cell] = run.cells
    assert cell.source == TRAIN[-1] and cell.status == "ok"
    tracked = nb.cells[-1].outputs  # papermill inserted the injected-parameters cell
    summary, out = tracked
    assert summary.output_type == "display_data"
    assert summary.data["text/plain"].startswith(f"✓ run breast-cancer ({run.short_id}) · ")
    assert "1 model" in summary.data["text/plain"]
    assert "mlops-summary" in summary.data["text/html"]
    assert out.output_type == "execute_result"
    assert float(out.data["text/plain"]) == pytest.approx(auc, abs=1e-6)


def test_failing_tracked_cell_fails_the_run_and_papermill(run_notebook) -> None:
    cells = [
        "%load_ext jupyter_mlops",
        "%%mlops track broken\nvalues = [1, 2]\nvalues[5]",
        "after = 1",
    ]
    with pytest.raises(papermill.PapermillExecutionError) as info:
        run_notebook("broken", cells)
    assert info.value.ename == "IndexError"
    run = mlops.get_run("broken")
    assert run.status == "failed"
    assert run.error.rstrip().endswith("IndexError: list index out of range")
    assert ", line 3, in <module>" in run.error
    assert run.cells[0].status == "failed"


def test_line_form_across_cells_until_stop(run_notebook) -> None:
    cells = [
        "%load_ext jupyter_mlops",
        "%mlops track across --param stage=1",
        "a = 1",
        "%mlops metric loss=0.5\nb = a + 1",
        "%mlops metric loss=0.25",
        "%mlops stop",
        "not_recorded = 1",
        "%mlops status",
    ]
    nb = run_notebook("across", cells)
    run = mlops.get_run("across")
    assert run.status == "finished"
    assert [c.source for c in run.cells] == cells[1:6]
    assert [c.execution_count for c in run.cells] == [2, 3, 4, 5, 6]
    assert run.params == {"stage": "1"}
    assert [p.value for p in mlops.get_metric_history("across", "loss")] == [0.5, 0.25]
    [summary] = nb.cells[5].outputs
    assert summary.data["text/plain"].startswith(f"✓ run across ({run.short_id}) · 5 cells · ")
    [status] = nb.cells[7].outputs
    assert "active run  none" in status.data["text/plain"]


def test_line_form_ends_finished_at_kernel_shutdown(run_notebook) -> None:
    run_notebook("unstopped", ["%load_ext jupyter_mlops", "%mlops track unstopped", "x = 1"])
    run = mlops.get_run("unstopped")
    assert run.status == "finished"
    assert [c.source for c in run.cells] == ["%mlops track unstopped", "x = 1"]
