"""Autocapture through the magics: on inside tracked cells, off everywhere else."""

from __future__ import annotations

import pytest

import jupyter_mlops as mlops

FIT = """\
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import scale
X, y = load_breast_cancer(return_X_y=True)
X = scale(X)  # converges in a few iterations
"""


def fit_cell(header: str) -> str:
    return (
        f"{header}\n"
        "model = LogisticRegression(C=0.5).fit(X, y)\n"
        "auc = roc_auc_score(y, model.predict_proba(X)[:, 1])"
    )


@pytest.fixture
def data(ip):
    ip.run(FIT)
    return ip


def test_tracked_cell_captures_the_model_params_and_metric(data) -> None:
    ran = data.run(fit_cell("%%mlops track fit"))
    run = mlops.get_run("fit")
    assert run.params["C"] == "0.5"
    assert run.metrics["roc_auc_score"] == pytest.approx(data.user_ns["auc"])
    assert [m.class_name.rpartition(".")[2] for m in run.models] == ["LogisticRegression"]
    summary = ran.texts[0]
    assert " · 1 model · " in summary and " · 1 metric · " in summary


def test_no_autolog_captures_nothing(data) -> None:
    data.run(fit_cell("%%mlops track plain --no-autolog"))
    run = mlops.get_run("plain")
    assert (run.params, run.metrics, run.models) == ({}, {}, [])
    assert len(run.cells) == 1


def test_autolog_false_in_config_captures_nothing(data, store_dir) -> None:
    (store_dir / "pyproject.toml").write_text("[tool.jupyter-mlops]\nautolog = false\n")
    data.run(fit_cell("%%mlops track cfg"))
    assert mlops.get_run("cfg").models == []


def test_untracked_cells_capture_nothing(data) -> None:
    data.run(fit_cell("%%mlops track tracked"))
    data.run(fit_cell(""))  # an ordinary cell, after the tracked one
    data.run("%mlops track line")
    data.run("%mlops stop")
    data.run(fit_cell(""))  # after %mlops stop
    assert len(mlops.get_run("tracked").models) == 1
    assert mlops.get_run("line").models == []


def test_failing_tracked_cell_leaves_capture_off(data) -> None:
    with pytest.raises(RuntimeError):
        data.run(fit_cell("%%mlops track fails") + "\nraise RuntimeError('after fit')")
    assert mlops.get_run("fails").status == "failed"
    assert len(mlops.get_run("fails").models) == 1
    data.run("%mlops track later")
    data.run("%mlops stop")
    data.run(fit_cell(""))
    assert mlops.get_run("later").models == []


def test_line_form_captures_each_cell_and_survives_a_failure(data, session) -> None:
    data.run("%mlops track lines")
    data.run("model = LogisticRegression(C=0.25).fit(X, y)")
    with pytest.raises(ValueError):
        data.run("LogisticRegression().fit(X[:, :0], y)")  # no features: sklearn raises
    assert not session.capturing
    data.run("roc_auc_score(y, model.predict_proba(X)[:, 1])")
    data.run("%mlops stop")
    run = mlops.get_run("lines")
    assert run.status == "finished"
    assert run.params["C"] == "0.25"
    assert "roc_auc_score" in run.metrics
    assert [c.status for c in run.cells] == ["ok", "ok", "failed", "ok", "ok"]
    data.run(fit_cell(""))
    assert len(mlops.get_run("lines").models) == 1
