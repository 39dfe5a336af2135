"""Model quality against a reference, and prediction drift before labels arrive."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.linear_model import LinearRegression, LogisticRegression

import jupyter_mlops
from jupyter_mlops import models
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.monitor import performance, prediction_drift
from jupyter_mlops.store import current_store


def labelled(n, seed, noise=0.0, shift=0.0, classes=2):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.normal(shift, 1, n), "b": rng.normal(0, 1, n)})
    logit = 2 * x.a - x.b
    y = (logit > 0).astype(int) if classes == 2 else np.digitize(logit, [-1, 1])
    flip = rng.random(n) < noise
    y = np.where(flip, rng.integers(0, classes, n), y)
    return x.assign(y=y)


@pytest.fixture(scope="module")
def clf():
    train = labelled(2000, 0)
    return LogisticRegression().fit(train[["a", "b"]], train.y)


def test_classification_metrics_match_sklearn(clf):
    cur = labelled(500, 1, noise=0.2)

    report = performance(clf, cur, target="y", reference=labelled(500, 2), log=False)

    x, y = cur[["a", "b"]], cur.y
    proba = clf.predict_proba(x)
    assert report.current == pytest.approx(
        {
            "accuracy": metrics.accuracy_score(y, clf.predict(x)),
            "precision": metrics.precision_score(y, clf.predict(x)),
            "recall": metrics.recall_score(y, clf.predict(x)),
            "f1": metrics.f1_score(y, clf.predict(x)),
            "roc_auc": metrics.roc_auc_score(y, proba[:, 1]),
            "log_loss": metrics.log_loss(y, proba),
        }
    )
    assert report.task == "classification"
    assert report.degraded
    rows = report.to_frame().set_index("metric")
    assert bool(rows.loc["accuracy", "degraded"]) and bool(rows.loc["log_loss", "degraded"])


def test_same_quality_is_not_degraded(clf):
    report = performance(clf, labelled(3000, 1), target="y", reference=labelled(3000, 2), log=False)

    assert not report.degraded
    assert report.to_dict()["degraded"] is False


def test_multiclass_uses_macro_averages():
    train = labelled(1500, 0, classes=3)
    model = LogisticRegression().fit(train[["a", "b"]], train.y)

    report = performance(model, labelled(400, 1, classes=3), target="y", reference=train, log=False)

    assert set(report.current) == {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"}


def test_regression_errors_degrade_when_they_rise():
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"a": rng.normal(size=500)})
    model = LinearRegression().fit(x, 3 * x.a)
    ref = x.assign(t=3 * x.a + rng.normal(0, 0.1, 500))
    cur = x.assign(t=3 * x.a + rng.normal(0, 0.5, 500))

    report = performance(model, cur, target="t", reference=ref, log=False)

    rows = report.to_frame().set_index("metric")
    assert list(rows.index) == ["mae", "rmse", "r2"]
    assert rows.loc["rmse", "current"] == pytest.approx(
        np.sqrt(metrics.mean_squared_error(cur.t, model.predict(x)))
    )
    assert rows.loc["mae", "change"] > 0.05 and bool(rows.loc["mae", "degraded"])
    assert report.task == "regression"


def test_registered_metrics_are_the_default_reference(store_dir, clf):
    with jupyter_mlops.start_run(store=current_store()) as run:
        run.log_model(clf)
        run.log_metric("accuracy_score", 0.99)
        run.log_metric("roc_auc", 0.5)
    models.register(run.id, "churn", store=current_store())

    with jupyter_mlops.start_run("monitor") as monitor:
        report = performance("models:/churn/1", labelled(400, 1, noise=0.3), target="y")

    rows = report.to_frame().set_index("metric")
    assert rows.loc["accuracy", "reference"] == 0.99
    assert bool(rows.loc["accuracy", "degraded"]) is True
    assert bool(rows.loc["roc_auc", "degraded"]) is False
    assert rows.loc["f1", "reference"] is None or np.isnan(rows.loc["f1", "reference"])
    logged = jupyter_mlops.get_run(monitor.id).metrics
    assert logged["perf.degraded"] == 1.0
    assert logged["perf.accuracy"] == pytest.approx(report.current["accuracy"])


BAD = [
    ({"target": "nope"}, "The target column 'nope' is not in the data."),
    (
        {"target": "y", "task": "ranking"},
        "task must be 'classification' or 'regression', not 'ranking'.",
    ),
    ({"target": "y", "threshold": -1}, "threshold must be a non-negative number, not -1."),
    (
        {"target": "y"},
        "Give reference data, or a models:/ URI whose version has registered metrics.",
    ),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD)
def test_usage_errors(clf, kwargs, message):
    with pytest.raises(MlopsUsageError) as err:
        performance(clf, labelled(50, 1), log=False, **kwargs)

    assert str(err.value) == message


def test_not_a_model():
    with pytest.raises(MlopsUsageError, match="Give a fitted model or a models:/ URI, not int"):
        performance(3, labelled(50, 1), target="y", log=False)


def test_html_display(clf):
    html = performance(clf, labelled(300, 1), target="y", reference=labelled(300, 2), log=False)

    assert "<table>" in html._repr_html_()


def test_prediction_drift_on_probabilities(clf):
    ref = labelled(2000, 1)[["a", "b"]]

    same = prediction_drift(clf, ref, labelled(2000, 2)[["a", "b"]], log=False)
    moved = prediction_drift(clf, ref, labelled(2000, 2, shift=1.0)[["a", "b"]], log=False)

    assert same.columns == ["proba_1"]
    assert not same.dataset_drift
    assert moved.dataset_drift and moved["proba_1"].test == "wasserstein"


def test_prediction_drift_on_regression_outputs():
    x = pd.DataFrame({"a": np.arange(100.0)})
    model = LinearRegression().fit(x, 2 * x.a)

    report = prediction_drift(model, x, x + 50, log=False)

    assert report.columns == ["prediction"] and report.dataset_drift
