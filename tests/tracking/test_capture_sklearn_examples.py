"""Capture on the patterns of scikit-learn's own gallery examples, as a new user runs them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris, make_classification

import jupyter_mlops as mlops
from jupyter_mlops.tracking.capture import capturing


@pytest.fixture
def run(store):
    with mlops.start_run(store=store, experiment="t") as run:
        yield run


@pytest.fixture
def ns():
    X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    frame["colour"] = np.where(X[:, 0] > 0, "red", "blue")
    iris = load_iris()
    return {"X": X, "y": y, "frame": frame, "iris_X": iris.data, "iris_y": iris.target}


def cell(run, code, ns):
    with capturing(run, user_ns=ns):
        exec(code, ns)


def finished(run, store):
    run.end()
    return mlops.get_run(run.id, store=store)


def test_a_column_transformer_with_numpy_dtype_params_is_captured_whole(run, store, ns) -> None:
    cell(
        run,
        "import numpy as np\n"
        "from sklearn.compose import ColumnTransformer\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.pipeline import make_pipeline\n"
        "from sklearn.preprocessing import OneHotEncoder, StandardScaler\n"
        "pre = ColumnTransformer([\n"
        "    ('num', StandardScaler(), ['f0', 'f1', 'f2', 'f3', 'f4']),\n"
        "    ('cat', OneHotEncoder(dtype=np.float32), ['colour'])])\n"
        "clf = make_pipeline(pre, LogisticRegression())\n"
        "clf.fit(frame, y)",
        ns,
    )
    rec = finished(run, store)
    assert rec.params["columntransformer__cat__dtype"] == "numpy.float32"
    assert rec.params["logisticregression__C"] == "1.0"
    assert [m.name for m in rec.models] == ["clf"]
    assert {(i.role, i.source) for i in rec.inputs} == {("training", "frame"), ("training", "y")}


def test_an_uncapturable_param_does_not_drop_the_model_or_the_data(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.base import BaseEstimator, ClassifierMixin\n"
        "class Odd:\n"
        "    def __repr__(self):\n"
        "        raise RuntimeError('no repr')\n"
        "class Majority(ClassifierMixin, BaseEstimator):\n"
        "    def __init__(self, odd=None):\n"
        "        self.odd = odd\n"
        "    def fit(self, X, y):\n"
        "        self.classes_ = np.unique(y)\n"
        "        return self\n"
        "    def predict(self, X):\n"
        "        return np.full(len(X), self.classes_[0])\n",
        ns,
    )
    ns["np"] = np
    cell(run, "maj = Majority(odd=Odd()).fit(X, y)", ns)
    rec = finished(run, store)
    assert [m.name for m in rec.models] == ["maj"]
    assert ("training", "X") in {(i.role, i.source) for i in rec.inputs}


def test_label_encoders_fitted_inside_library_calls_are_not_models(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.calibration import CalibratedClassifierCV\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.metrics import classification_report\n"
        "model = CalibratedClassifierCV(LogisticRegression(max_iter=1000), cv=3)\n"
        "model.fit(iris_X, iris_y)\n"
        "pred = model.predict(iris_X)\n"
        "report = classification_report(iris_y, pred, output_dict=True)",
        ns,
    )
    rec = finished(run, store)
    assert [m.name for m in rec.models] == ["model"]
    assert not any(key.startswith("labelencoder") for key in rec.params)


def test_cross_val_predict_and_learning_curve_folds_are_not_models(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.model_selection import cross_val_predict, learning_curve\n"
        "pred = cross_val_predict(LogisticRegression(), X, y, cv=4)\n"
        "sizes, train_scores, test_scores = learning_curve(\n"
        "    LogisticRegression(), X, y, cv=3, train_sizes=[0.5, 1.0], n_jobs=2)",
        ns,
    )
    rec = finished(run, store)
    assert rec.models == []
    history = mlops.get_metric_history(rec.id, "learning_curve.test_score.mean", store=store)
    assert [p.step for p in history] == list(ns["sizes"])
    assert [p.value for p in history] == pytest.approx(ns["test_scores"].mean(axis=1))


def test_metrics_inside_a_helper_loop_do_not_overwrite_the_cells_metric(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.metrics import accuracy_score\n"
        "def accuracy_by_threshold(y_true, proba, thresholds):\n"
        "    return [accuracy_score(y_true, proba > t) for t in thresholds]\n"
        "model = LogisticRegression().fit(iris_X, iris_y == 0)\n"
        "acc = accuracy_score(iris_y == 0, model.predict(iris_X))\n"
        "curve = accuracy_by_threshold(iris_y == 0, model.predict_proba(iris_X)[:, 1],\n"
        "                              [0.1, 0.5, 0.99999])",
        ns,
    )
    rec = finished(run, store)
    assert rec.metrics["accuracy_score"] == pytest.approx(ns["acc"]) == pytest.approx(1.0)
    history = mlops.get_metric_history(rec.id, "accuracy_by_threshold.accuracy_score", store=store)
    assert [p.value for p in history] == pytest.approx(ns["curve"])
