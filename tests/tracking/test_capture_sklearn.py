"""Capture of fitted scikit-learn estimators: params, models, signatures, training data."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

import jupyter_mlops as mlops
from jupyter_mlops.tracking import flavors
from jupyter_mlops.tracking.capture import capturing


@pytest.fixture
def run(store):
    with mlops.start_run(store=store, experiment="t") as run:
        yield run


@pytest.fixture
def ns():
    X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    X_train = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    return {"X_train": X_train, "y_train": pd.Series(y, name="target"), "np": np}


def cell(run, code, ns):
    with capturing(run, user_ns=ns):
        exec(code, ns)


def finished(run, store):
    run.end()
    return mlops.get_run(run.id, store=store)


def load_model(store, record):
    data = store.objects.read_bytes(record.digest)
    return flavors.load(data, flavor=record.flavor, format=record.format)


def test_fit_records_params_model_signature_and_training_data(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.linear_model import LogisticRegression\n"
        "model = LogisticRegression(C=0.5).fit(X_train, y_train)",
        ns,
    )
    rec = finished(run, store)
    assert rec.params["C"] == "0.5"
    assert rec.params["max_iter"] == "100"
    [model] = rec.models
    # Named after the notebook variable holding it.
    assert (model.name, model.format, model.flavor) == ("model", "skops", "sklearn")
    assert model.signature["columns"][0] == {"name": "f0", "dtype": "float64"}
    loaded = load_model(store, model)
    np.testing.assert_array_equal(loaded.coef_, ns["model"].coef_)
    assert "models/model.skops" in [a.path for a in rec.artifacts]
    inputs = {(i.role, i.source, i.kind) for i in rec.inputs}
    assert inputs == {("training", "X_train", "frame"), ("training", "y_train", "frame")}
    x_input = next(i for i in rec.inputs if i.source == "X_train")
    assert x_input.info["shape"] == [200, 5]
    assert x_input.info["columns"] == ["f0", "f1", "f2", "f3", "f4"]
    assert run.captured.models == ["model"]


def test_pipeline_is_one_model_with_nested_params(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.pipeline import Pipeline\n"
        "from sklearn.preprocessing import StandardScaler\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "pipe = Pipeline([('scale', StandardScaler()), ('clf', LogisticRegression(C=2.0))])\n"
        "pipe.fit(X_train, y_train)",
        ns,
    )
    rec = finished(run, store)
    assert [m.name for m in rec.models] == ["pipe"]  # the steps' own fits are not recorded
    assert rec.params["clf__C"] == "2.0"
    assert rec.params["clf"] == "LogisticRegression"
    assert rec.params["steps"] == '[["scale", "StandardScaler"], ["clf", "LogisticRegression"]]'
    assert not any(key.startswith(("standardscaler.", "logisticregression.")) for key in rec.params)
    assert isinstance(load_model(store, rec.models[0]), Pipeline)


def test_later_estimators_are_prefixed_and_refits_keep_their_name(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.tree import DecisionTreeClassifier\n"
        "first = LogisticRegression(C=0.5).fit(X_train, y_train)\n"
        "tree = DecisionTreeClassifier(max_depth=3).fit(X_train, y_train)\n"
        "second = LogisticRegression(C=3.0).fit(X_train, y_train)",
        ns,
    )
    cell(run, "first.set_params(C=0.75).fit(X_train, y_train)", ns)  # a later cell, same object
    rec = finished(run, store)
    assert rec.params["C"] == "0.75"
    assert rec.params["tree.max_depth"] == "3"
    assert rec.params["second.C"] == "3.0"
    assert [m.name for m in rec.models] == ["first", "tree", "second"]
    # The same data fitted three times is one input per role.
    assert sorted(i.source for i in rec.inputs) == ["X_train", "y_train"]


def test_a_transformer_fitted_first_does_not_take_the_unprefixed_params(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.preprocessing import StandardScaler\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "Xs = StandardScaler().fit_transform(X_train)\n"
        "model = LogisticRegression(C=0.5).fit(Xs, y_train)",
        ns,
    )
    rec = finished(run, store)
    assert rec.params["C"] == "0.5"
    assert rec.params["standardscaler.with_mean"] == "True"
    # No variable holds the scaler: it is named after its class.
    assert [m.name for m in rec.models] == ["standardscaler", "model"]
    [xs] = [i for i in rec.inputs if i.source == "Xs"]
    assert (xs.kind, xs.info["shape"]) == ("array", [200, 5])
    assert rec.models[1].signature == {"type": "array", "shape": [None, 5], "dtype": "float64"}


def test_grid_search_logs_best_params_score_results_and_best_model(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.model_selection import GridSearchCV\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "search = GridSearchCV(LogisticRegression(), {'C': [0.1, 1.0]}, cv=3)\n"
        "search.fit(X_train, y_train)",
        ns,
    )
    rec = finished(run, store)
    search = ns["search"]
    assert rec.params["best.C"] == str(search.best_params_["C"])
    assert rec.params["param_grid"] == '{"C": [0.1, 1.0]}'
    assert rec.params["estimator"] == "LogisticRegression"
    assert rec.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    [table] = [a for a in rec.artifacts if a.path == "cv_results.csv"]
    assert (table.kind, table.media_type) == ("table", "text/csv")
    csv = store.objects.read_bytes(table.digest).decode()
    assert csv.splitlines()[0].startswith("mean_fit_time,")
    assert len(csv.strip().splitlines()) == 3  # header + one row per candidate
    [model] = rec.models  # the clones fitted by the search are not models of their own
    assert model.name == "search"
    assert model.class_name.endswith("LogisticRegression")
    assert search.best_params_["C"] == load_model(store, model).C


def test_fit_predict_and_available_if_methods_behave_as_before(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.cluster import KMeans\n"
        "from sklearn.pipeline import make_pipeline\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "labels = KMeans(n_clusters=2, n_init=2, random_state=0).fit_predict(X_train)\n"
        "pipe = make_pipeline(LogisticRegression())\n"
        "has_fit_transform = hasattr(pipe, 'fit_transform')",
        ns,
    )
    rec = finished(run, store)
    assert ns["has_fit_transform"] is False  # available_if still answers for the final step
    assert len(ns["labels"]) == 200
    assert [m.name for m in rec.models] == ["kmeans"]
    assert rec.params["n_clusters"] == "2"  # KMeans can predict: it is the primary estimator


def test_estimator_score_is_a_metric_with_evaluation_data(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.linear_model import LogisticRegression\n"
        "model = LogisticRegression().fit(X_train, y_train)\n"
        "X_test, y_test = X_train.iloc[:50], y_train.iloc[:50]\n"
        "acc = model.score(X_test, y_test)\n"
        "acc_again = model.score(X_test, y_test)",
        ns,
    )
    rec = finished(run, store)
    assert rec.metrics["score"] == pytest.approx(ns["acc"])
    history = mlops.get_metric_history(run.id, "score", store=store)
    assert [p.step for p in history] == [0, 1]
    evaluation = sorted(i.source for i in rec.inputs if i.role == "evaluation")
    assert evaluation == ["X_test", "y_test"]


def test_scoring_an_estimator_not_primary_is_prefixed(run, store, ns) -> None:
    ns["fitted_before"] = LogisticRegression().fit(ns["X_train"], ns["y_train"])
    cell(run, "s = fitted_before.score(X_train, y_train)", ns)
    rec = finished(run, store)
    assert rec.metrics["fitted_before.score"] == pytest.approx(ns["s"])
    assert rec.models == []  # scored, not fitted, in the run


class Custom(ClassifierMixin, BaseEstimator):
    """A user-defined estimator (module level, so skops can name it)."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_user_defined_estimators_are_captured(run, store, ns) -> None:
    ns["Custom"] = Custom
    cell(run, "c = Custom(alpha=0.1).fit(X_train, y_train)", ns)
    rec = finished(run, store)
    assert rec.params["alpha"] == "0.1"
    assert [m.name for m in rec.models] == ["c"]


def test_fits_in_other_threads_are_not_recorded(run, store, ns) -> None:
    def fit_elsewhere():
        LogisticRegression().fit(ns["X_train"], ns["y_train"])

    with capturing(run, user_ns=ns):
        worker = threading.Thread(target=fit_elsewhere)
        worker.start()
        worker.join()
    assert finished(run, store).models == []


def test_a_fit_that_raises_records_nothing(run, store, ns) -> None:
    ns["LogisticRegression"] = LogisticRegression
    with pytest.raises(ValueError):
        cell(run, "LogisticRegression().fit(X_train.iloc[:, :0], y_train)", ns)
    rec = finished(run, store)
    assert (rec.params, rec.models, rec.inputs) == ({}, [], [])
