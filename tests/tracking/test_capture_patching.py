"""Capture switches on for a cell and off after it: nothing at import, everything restored."""

from __future__ import annotations

import builtins
import inspect
import json
import subprocess
import sys
import textwrap
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
import sklearn.metrics
import sklearn.model_selection
from sklearn.base import BaseEstimator
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import jupyter_mlops as mlops
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.tracking import capture
from jupyter_mlops.tracking.capture import capturing, patching
from jupyter_mlops.tracking.capture import metrics as capture_metrics
from jupyter_mlops.tracking.capture import sklearn as capture_sklearn


@pytest.fixture
def run(store):
    with mlops.start_run(store=store, experiment="t") as run:
        yield run


@pytest.fixture
def ns():
    X, y = make_classification(n_samples=100, n_features=4, random_state=0)
    return {"X": X, "y": y, "LogisticRegression": LogisticRegression, "auc": roc_auc_score}


def snapshot() -> dict[tuple[int, str], object]:
    """Every attribute capture may patch, by (owner, name)."""
    capture_sklearn.patch_entries()
    entries = [*capture_sklearn.patch_entries(), *capture_metrics._entries()[0]]
    owners = [(e[0], e[1]) for e in entries]
    owners += [(pd, n) for n in ("read_csv", "read_parquet", "read_json", "read_excel")]
    owners += [(builtins, "__import__"), (plt, "close")]
    return {(id(o), n): o.__dict__[n] for o, n in owners}


def assert_restored(before: dict[tuple[int, str], object]) -> None:
    now = snapshot()  # may cover more classes: the cell may have imported modules
    assert {key: now[key] for key in before} == before
    assert [v for v in now.values() if patching.original_of(v) is not v] == []


def run_python(code: str, tmp_path) -> dict:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code))
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=240
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_jupyter_mlops_patches_nothing(tmp_path) -> None:
    result = run_python(
        """
        import builtins, json
        import pandas as pd
        import sklearn.metrics
        from sklearn.linear_model import LogisticRegression
        def current():
            return [sklearn.metrics.roc_auc_score, LogisticRegression.__dict__["fit"],
                    pd.read_csv, builtins.__import__]
        before = current()
        import jupyter_mlops
        import jupyter_mlops.tracking.capture.figures
        import jupyter_mlops.tracking.capture.metrics
        import jupyter_mlops.tracking.capture.sklearn
        after = current()
        print(json.dumps({"same": [a is b for a, b in zip(before, after)]}))
        """,
        tmp_path,
    )
    assert result == {"same": [True, True, True, True]}


def test_a_cell_that_raises_leaves_nothing_patched(run, store, ns) -> None:
    before = snapshot()
    ns["roc"] = sklearn.metrics.roc_auc_score
    with pytest.raises(ZeroDivisionError), capturing(run, user_ns=ns):
        exec(
            "from sklearn.metrics import f1_score\nmodel = LogisticRegression().fit(X, y)\n1 / 0",
            ns,
        )
    assert_restored(before)
    assert ns["auc"] is roc_auc_score and ns["roc"] is roc_auc_score
    assert ns["f1_score"] is sklearn.metrics.f1_score
    assert (
        not hasattr(ns["f1_score"], "__wrapped__")
        or patching.original_of(ns["f1_score"]) is (ns["f1_score"])
    )
    assert patching.active() is None
    run.end()
    # What happened before the error is kept.
    assert [m.name for m in mlops.get_run(run.id, store=store).models] == ["logisticregression"]


def test_wrappers_keep_signatures_and_are_inert_outside_a_cell(run, ns) -> None:
    fit_signature = inspect.signature(LogisticRegression.fit)
    with capturing(run, user_ns=ns):
        assert LogisticRegression.__dict__["fit"] is not patching.original_of(
            LogisticRegression.__dict__["fit"]
        )
        assert inspect.signature(LogisticRegression.fit) == fit_signature
        wrapper = sklearn.metrics.roc_auc_score
    assert wrapper is not roc_auc_score
    assert wrapper(ns["y"], ns["y"]) == 1.0  # a leftover reference records nothing
    assert run.captured.metrics == 0


def test_the_cell_can_import_sklearn_and_fit_in_one_go(tmp_path) -> None:
    result = run_python(
        """
        import json, sys
        import jupyter_mlops as mlops
        from jupyter_mlops.store import open_store
        from jupyter_mlops.tracking.capture import capturing
        assert "sklearn" not in sys.modules
        store = open_store(f"sqlite:///{sys.path[0]}/m.db", f"{sys.path[0]}/objects")
        ns = {}
        with mlops.start_run(store=store, experiment="t") as run:
            with capturing(run, user_ns=ns):
                exec(
                    "from sklearn.datasets import make_classification\\n"
                    "from sklearn.linear_model import LogisticRegression\\n"
                    "from sklearn.metrics import accuracy_score\\n"
                    "X, y = make_classification(n_samples=50, random_state=0)\\n"
                    "m = LogisticRegression().fit(X, y)\\n"
                    "acc = accuracy_score(y, m.predict(X))\\n",
                    ns,
                )
        import sklearn.metrics
        rec = mlops.get_run(run.id, store=store)
        print(json.dumps({
            "models": [m.name for m in rec.models],
            "metrics": sorted(rec.metrics),
            "restored": ns["accuracy_score"] is sklearn.metrics.accuracy_score,
        }))
        """,
        tmp_path,
    )
    assert result == {
        "models": ["logisticregression"],
        "metrics": ["accuracy_score"],
        "restored": True,
    }


NOTEBOOK_CLASS = """
from sklearn.base import BaseEstimator, ClassifierMixin
import numpy as np

class Majority(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        values, counts = np.unique(y, return_counts=True)
        self.classes_, self.majority_ = values, values[counts.argmax()]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)
"""


def test_a_notebook_class_still_pickles_by_value_while_patched(run, ns) -> None:
    # joblib (n_jobs > 1) sends a class defined in the notebook by value, with its __dict__:
    # our wrapper must not drag the live session (locks, connections) along.
    import cloudpickle

    notebook: dict = {"__name__": "a_notebook_not_importable"}
    exec(NOTEBOOK_CLASS, notebook)
    ns.update(Majority=notebook["Majority"], cloudpickle=cloudpickle)
    with capturing(run, user_ns=ns):
        exec(
            "assert Majority.__dict__['fit'] is not Majority.fit.__wrapped__\n"
            "clone = cloudpickle.loads(cloudpickle.dumps(Majority()))\n"
            "pred = clone.fit(X, y).predict(X[:3])",
            ns,
        )
    assert len(ns["pred"]) == 3


class BrokenParams(BaseEstimator):
    """An estimator whose get_params fails: recording it fails, the fit must not."""

    def fit(self, X, y=None):
        self.fitted_ = True
        return self

    def predict(self, X):
        return X

    def get_params(self, deep=True):
        raise RuntimeError("no params today")


def test_a_recording_failure_is_one_warning_and_the_result_is_unchanged(run, ns) -> None:
    ns["BrokenParams"] = BrokenParams
    expected = pytest.warns(mlops.MlopsWarning, match="BrokenParams.fit.*no params today")
    with expected as caught, capturing(run, user_ns=ns):
        exec("a = BrokenParams().fit(X)\nb = BrokenParams().fit(X)", ns)
    assert len(caught) == 1
    assert ns["a"].fitted_ and ns["b"].fitted_


def test_nested_capture_records_into_the_inner_run_and_restores_once(store, ns) -> None:
    before = snapshot()
    with mlops.start_run(store=store, experiment="t") as outer, capturing(outer, user_ns=ns):
        with mlops.start_run(store=store, experiment="t") as inner:
            with capturing(inner, user_ns=ns):
                exec("m = LogisticRegression().fit(X, y)", ns)
            assert sklearn.metrics.roc_auc_score is not roc_auc_score  # outer still on
        exec("m2 = LogisticRegression().fit(X, y)", ns)
    assert_restored(before)
    assert outer.captured.models == ["logisticregression"]
    assert inner.captured.models == ["logisticregression"]


def test_patches_restore_newest_first_and_respect_later_assignments() -> None:
    class Owner:
        value = "original"
        other = "original"

    patches = patching.Patches()
    patches.attrs([patching.entry(Owner, "value", "original", "first")])
    patches.attrs([patching.entry(Owner, "value", "original", "second")])  # patched: no-op
    patches.attrs([patching.entry(Owner, "other", "original", "patched")])
    namespace = {"k": "original"}
    patches.item(namespace, "k", "original", "patched")
    assert (Owner.value, Owner.other, len(patches)) == ("first", "patched", 3)
    Owner.other = "set by the cell"
    assert patches.restore() == []
    assert (Owner.value, Owner.other, namespace["k"]) == ("original", "set by the cell", "original")


class Recorder:
    """A third-party patcher: counts its starts and stops."""

    calls: list[str] = []

    def start(self, session) -> None:
        Recorder.calls.append("start")

    def stop(self, session) -> None:
        Recorder.calls.append("stop")


def test_the_patcher_registry(run) -> None:
    names = ["imports", "frameworks", "sklearn", "metrics", "pandas", "figures"]
    assert capture.names()[:6] == names
    with pytest.raises(MlopsUsageError, match="No capture patcher 'nope'; known: imports, "):
        capture.get("nope")
    capture.register("recorder", Recorder)
    try:
        with capturing(run):
            pass
        assert Recorder.calls == ["start", "stop"]
    finally:
        capture._registry.pop("recorder")
        capture._rebuild()


def test_capture_costs_nothing_once_switched_off(run, ns) -> None:
    with capturing(run, user_ns=ns):
        pass
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogisticRegression().fit(ns["X"], ns["y"])
    assert sklearn.model_selection.cross_val_score is patching.original_of(
        sklearn.model_selection.cross_val_score
    )
    assert run.captured.models == []
