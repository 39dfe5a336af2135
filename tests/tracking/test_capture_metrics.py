"""Capture of metric function values, repeated metrics as steps, and cross-validation."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import sklearn.metrics
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score

import jupyter_mlops as mlops
from jupyter_mlops.tracking.capture import capturing
from jupyter_mlops.tracking.capture.metrics import is_metric_name


@pytest.fixture
def run(store):
    with mlops.start_run(store=store, experiment="t") as run:
        yield run


@pytest.fixture
def ns():
    X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    model = LogisticRegression().fit(X, y)
    # Imported before the tracked cell, as notebooks do: the names hold the originals.
    return {"X": X, "y": y, "model": model, "roc_auc_score": roc_auc_score, "np": np}


def cell(run, code, ns):
    with capturing(run, user_ns=ns):
        exec(code, ns)


def finished(run, store):
    run.end()
    return mlops.get_run(run.id, store=store)


def test_metric_imported_before_the_cell_is_captured_and_the_name_restored(run, store, ns) -> None:
    cell(run, "auc = roc_auc_score(y, model.predict_proba(X)[:, 1])", ns)
    assert ns["roc_auc_score"] is roc_auc_score
    assert sklearn.metrics.roc_auc_score is roc_auc_score
    rec = finished(run, store)
    assert rec.metrics == {"roc_auc_score": pytest.approx(ns["auc"])}
    [truth] = rec.inputs
    assert (truth.role, truth.source, truth.kind) == ("evaluation", "y", "array")


def test_repeated_metric_calls_are_steps_of_one_key(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.metrics import accuracy_score\n"
        "scores = [accuracy_score(y[:n], model.predict(X[:n])) for n in (50, 100, 200)]",
        ns,
    )
    cell(run, "last = accuracy_score(y, model.predict(X))", ns)  # a later cell: next step
    run.flush()
    history = mlops.get_metric_history(run.id, "accuracy_score", store=store)
    assert [p.step for p in history] == [0, 1, 2, 3]
    assert [p.value for p in history] == pytest.approx([*ns["scores"], ns["last"]])
    # Imported inside a tracked cell, the name is put back to the original afterwards.
    assert ns["accuracy_score"] is sklearn.metrics.accuracy_score
    rec = finished(run, store)
    assert rec.metrics["accuracy_score"] == pytest.approx(ns["last"])
    # y[:50], y[:100] and y are three different evaluation sets; y again is not new.
    assert len([i for i in rec.inputs if i.role == "evaluation"]) == 3


def test_module_attribute_calls_and_metrics_calling_metrics_record_once(run, store, ns) -> None:
    cell(
        run,
        "import sklearn.metrics as skm\n"
        "f1 = skm.f1_score(y, model.predict(X))",  # f1_score calls fbeta_score inside
        ns,
    )
    rec = finished(run, store)
    assert set(rec.metrics) == {"f1_score"}


def test_non_scalar_results_are_not_metrics(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.metrics import f1_score\n"
        "per_class = f1_score(y, model.predict(X), average=None)",
        ns,
    )
    assert finished(run, store).metrics == {}


def test_cross_val_score_logs_mean_std_folds_and_the_estimator(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.model_selection import cross_val_score\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "cv = cross_val_score(LogisticRegression(C=0.5), X, y, cv=3)",
        ns,
    )
    rec = finished(run, store)
    assert rec.metrics == {
        "cross_val_score.mean": pytest.approx(ns["cv"].mean()),
        "cross_val_score.std": pytest.approx(ns["cv"].std()),
        "cross_val_score.fold": pytest.approx(ns["cv"][-1]),
    }
    folds = mlops.get_metric_history(run.id, "cross_val_score.fold", store=store)
    assert [(p.step, p.value) for p in folds] == [
        (i, pytest.approx(v)) for i, v in enumerate(ns["cv"])
    ]
    assert rec.params["C"] == "0.5"  # the estimator evaluated is linked by its params
    assert rec.models == []  # the fold fits are not recorded
    assert {(i.role, i.source) for i in rec.inputs} == {("evaluation", "X"), ("evaluation", "y")}


def test_cross_validate_logs_each_score_array(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.model_selection import cross_validate\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "res = cross_validate(LogisticRegression(), X, y, cv=3, scoring=['accuracy', 'f1'])",
        ns,
    )
    rec = finished(run, store)
    assert rec.metrics["cross_validate.test_accuracy.mean"] == pytest.approx(
        ns["res"]["test_accuracy"].mean()
    )
    assert "cross_validate.test_f1.std" in rec.metrics
    assert not any(key.startswith("cross_validate.fit_time") for key in rec.metrics)


def test_a_scorer_made_in_a_tracked_cell_still_pickles(run, ns) -> None:
    ns["pickle"] = pickle
    cell(
        run,
        "from sklearn.metrics import make_scorer, f1_score\n"
        "scorer = make_scorer(f1_score)\n"
        "blob = pickle.dumps(scorer)",  # what joblib does for n_jobs > 1
        ns,
    )
    assert pickle.loads(ns["blob"])._score_func is f1_score


@pytest.mark.parametrize(
    ("name", "captured"),
    [
        ("roc_auc_score", True),
        ("mean_squared_error", True),
        ("log_loss", True),
        ("matthews_corrcoef", True),
        ("auc", True),
        ("confusion_matrix", False),
        ("classification_report", False),
        ("make_scorer", False),
        ("get_scorer", False),
    ],
)
def test_which_metric_functions_are_captured(name: str, captured: bool) -> None:
    assert is_metric_name(name) is captured
