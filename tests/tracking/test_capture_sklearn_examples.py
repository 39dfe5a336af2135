"""Capture on the patterns of scikit-learn's own gallery examples, as a new user runs them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris, make_classification

import jupyter_mlops as mlops
from jupyter_mlops.tracking.capture import capturing
from jupyter_mlops.tracking.summary import RunSummary


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


def test_a_grid_search_is_a_parent_run_with_one_child_per_candidate(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.model_selection import GridSearchCV\n"
        "from sklearn.svm import SVC\n"
        "grid = GridSearchCV(SVC(), {'C': [0.1, 1.0, 10.0], 'kernel': ['linear', 'rbf']},\n"
        "                    cv=3, scoring=['accuracy', 'f1_macro'], refit='f1_macro')\n"
        "grid.fit(iris_X, iris_y)",
        ns,
    )
    rec = finished(run, store)
    grid = ns["grid"]
    assert rec.params["best_cv_scorer"] == "f1_macro"
    assert rec.metrics["best_cv_score"] == pytest.approx(grid.best_score_)
    assert "refit_time" in rec.metrics
    children = mlops.search_runs(filter=f"parent_id = '{run.id}'", store=store)
    assert len(children) == 6
    best = mlops.get_run(f"grid-{grid.best_index_}", store=store)
    assert best.parent_id == run.id
    assert best.status == "finished"
    assert best.params["C"] == str(grid.best_params_["C"])
    assert best.metrics["rank_test_f1_macro"] == 1
    assert best.metrics["mean_test_f1_macro"] == pytest.approx(grid.best_score_)
    assert "mean_test_accuracy" in best.metrics and "std_test_accuracy" in best.metrics


def test_children_are_capped_to_the_best_ranked_candidates(run, store, ns, monkeypatch) -> None:
    monkeypatch.setenv("MLOPS_MAX_CANDIDATE_RUNS", "3")
    cell(
        run,
        "from scipy.stats import loguniform\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.model_selection import RandomizedSearchCV\n"
        "search = RandomizedSearchCV(LogisticRegression(max_iter=1000),\n"
        "                            {'C': loguniform(1e-3, 1e2)}, n_iter=8, cv=3,\n"
        "                            random_state=0).fit(X, y)",
        ns,
    )
    rec = finished(run, store)
    children = mlops.search_runs(filter=f"parent_id = '{rec.id}'", store=store)
    ranks = ns["search"].cv_results_["rank_test_score"]
    assert sorted(children["metrics.rank_test_score"]) == sorted(ranks)[:3]


def test_a_halving_search_child_says_its_iteration(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.experimental import enable_halving_search_cv  # noqa: F401\n"
        "from sklearn.model_selection import HalvingGridSearchCV\n"
        "from sklearn.tree import DecisionTreeClassifier\n"
        "halving = HalvingGridSearchCV(DecisionTreeClassifier(random_state=0),\n"
        "                              {'max_depth': [1, 2, 3, 4]}, cv=3, random_state=0)\n"
        "halving.fit(X, y)",
        ns,
    )
    rec = finished(run, store)
    assert [m.name for m in rec.models] == ["halving"]
    children = mlops.search_runs(filter=f"parent_id = '{rec.id}'", store=store)
    assert len(children) == len(ns["halving"].cv_results_["params"])
    assert set(children["metrics.iter"]) == set(ns["halving"].cv_results_["iter"])


def test_cv_estimators_keep_their_choice_and_their_model(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.feature_selection import RFECV\n"
        "from sklearn.linear_model import LassoCV, LogisticRegression, RidgeCV\n"
        "lasso = LassoCV(cv=3).fit(X, y)\n"
        "ridge = RidgeCV(store_cv_results=True).fit(X, y)\n"
        "rfe = RFECV(LogisticRegression(), cv=3).fit(X, y)",
        ns,
    )
    rec = finished(run, store)
    assert [m.name for m in rec.models] == ["lasso", "ridge", "rfe"]
    assert float(rec.params["alpha_"]) == pytest.approx(ns["lasso"].alpha_)
    assert float(rec.params["ridge.alpha_"]) == pytest.approx(ns["ridge"].alpha_)
    assert rec.params["rfe.n_features_"] == str(ns["rfe"].n_features_)


def test_train_and_test_scores_have_their_own_keys(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.model_selection import train_test_split\n"
        "from sklearn.ensemble import RandomForestClassifier\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\n"
        "forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train, y_train)\n"
        "train_acc = forest.score(X_train, y_train)\n"
        "test_acc = forest.score(X_test, y_test)",
        ns,
    )
    rec = finished(run, store)
    assert rec.metrics["train_score"] == pytest.approx(ns["train_acc"])
    assert rec.metrics["score"] == pytest.approx(ns["test_acc"])
    [table] = [a for a in rec.artifacts if a.path == "feature_importances/forest.csv"]
    lines = store.objects.read_bytes(table.digest).decode().splitlines()
    assert lines[0] == "feature,importance" and len(lines) == 6


def test_a_printed_classification_report_is_the_classifiers_metric(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.metrics import classification_report\n"
        "clf = LogisticRegression(max_iter=1000).fit(iris_X, iris_y)\n"
        "print(classification_report(iris_y, clf.predict(iris_X)))",
        ns,
    )
    rec = finished(run, store)
    accuracy = (ns["clf"].predict(ns["iris_X"]) == ns["iris_y"]).mean()
    assert rec.metrics["classification_report.accuracy"] == pytest.approx(accuracy, abs=0.005)
    assert "classification_report.macro_avg.f1-score" in rec.metrics
    assert "classification_report.weighted_avg.recall" in rec.metrics


def test_permutation_importance_is_recorded_per_feature(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.inspection import permutation_importance\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "cols = ['f0', 'f1', 'f2', 'f3', 'f4']\n"
        "clf = LogisticRegression().fit(frame[cols], y)\n"
        "imp = permutation_importance(clf, frame[cols], y, n_repeats=3, random_state=0)",
        ns,
    )
    rec = finished(run, store)
    assert rec.metrics["permutation_importance.f0"] == pytest.approx(ns["imp"].importances_mean[0])
    assert [m.name for m in rec.models] == ["clf"]


def test_a_model_over_the_size_limit_is_fingerprinted_not_stored(
    run, store, ns, monkeypatch
) -> None:
    monkeypatch.setenv("MLOPS_MAX_MODEL_SIZE", "20000")
    cell(
        run,
        "from sklearn.ensemble import RandomForestClassifier\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "small = LogisticRegression().fit(X, y)\n"
        "big = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)",
        ns,
    )
    summary = RunSummary.of(run, duration=0.1)
    assert "1 model · " in str(summary)
    assert "1 model not stored (over max_model_size)" in str(summary)
    rec = finished(run, store)
    assert [m.name for m in rec.models] == ["small"]
    [note] = [a for a in rec.artifacts if a.path == "models/big.fingerprint.json"]
    info = json.loads(store.objects.read_bytes(note.digest))
    assert info["stored"] is False and info["size"] > 20000
    assert info["class_name"].endswith("RandomForestClassifier")


def test_an_identical_model_is_saved_once(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.linear_model import LogisticRegression\n"
        "first = LogisticRegression().fit(X, y)\n"
        "again = LogisticRegression().fit(X, y)\n"
        "other = LogisticRegression(C=0.1).fit(X, y)",
        ns,
    )
    rec = finished(run, store)
    assert [m.name for m in rec.models] == ["first", "other"]


def test_a_tuned_threshold_is_recorded_with_its_score(run, store, ns) -> None:
    cell(
        run,
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.model_selection import TunedThresholdClassifierCV\n"
        "tuned = TunedThresholdClassifierCV(LogisticRegression(), scoring='balanced_accuracy',\n"
        "                                   cv=3).fit(X, y)",
        ns,
    )
    rec = finished(run, store)
    assert float(rec.params["best_threshold_"]) == pytest.approx(ns["tuned"].best_threshold_)
    assert rec.metrics["best_score_"] == pytest.approx(ns["tuned"].best_score_)
    assert [m.name for m in rec.models] == ["tuned"]
