"""Framework capture is on only inside a tracked cell, undone when the cell raises, and costs
nothing for a framework the notebook never imports.

Needs the ``[frameworks]`` extra, installed by ``make install`` and CI (where these tests
run); ``pytest.importorskip`` only guards a machine without it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import jupyter_mlops as mlops


def test_a_cell_raising_mid_training_fails_the_run_and_switches_capture_off(data) -> None:
    xgb = pytest.importorskip("xgboost")
    fit = xgb.XGBClassifier.fit
    with pytest.raises(RuntimeError, match="interrupted"):
        data.run_cell(
            "%%mlops track broken\n"
            "import xgboost as xgb\n"
            "class Interrupt(xgb.callback.TrainingCallback):\n"
            "    def after_iteration(self, model, epoch, evals_log):\n"
            "        if epoch == 3:\n"
            "            raise RuntimeError('interrupted')\n"
            "        return False\n"
            "xgb.XGBClassifier(n_estimators=50, callbacks=[Interrupt()]).fit(X_train, y_train)"
        )
    run = mlops.get_run("broken")
    assert run.status == "failed"
    assert run.models == [] and run.params == {}
    assert xgb.XGBClassifier.fit is fit  # the original is back
    assert xgb.train.__module__ == "xgboost.training"

    data.run_cell("model = xgb.XGBClassifier(n_estimators=5).fit(X_train, y_train)")
    assert len(mlops.search_runs()) == 1  # outside a tracked cell nothing is recorded


def test_the_line_form_captures_every_cell_until_stopped(data) -> None:
    pytest.importorskip("lightgbm")
    data.run_cell("%mlops track session")
    data.run_cell("import lightgbm as lgb")
    data.run_cell("model = lgb.LGBMRegressor(n_estimators=7, verbose=-1).fit(X_train, y_train)")
    data.run_cell("%mlops stop")
    run = mlops.get_run("session")
    assert run.params["n_estimators"] == "7"
    assert [m.name for m in run.models] == ["lgbmregressor"]


def test_absent_frameworks_are_never_imported_and_scikit_learn_capture_is_unchanged(
    tmp_path,
) -> None:
    script = textwrap.dedent(
        """
        import sys
        import jupyter_mlops as mlops
        from jupyter_mlops.tracking.capture import capturing
        from sklearn.datasets import make_classification
        from sklearn.linear_model import LogisticRegression
        import skops.io  # saving a scikit-learn model loads it; it imports torch when present
        X, y = make_classification(n_samples=100, random_state=0)
        frameworks = ["xgboost", "lightgbm", "catboost", "statsmodels", "torch", "keras",
                      "lightning", "optuna"]
        before = {m for m in frameworks if m in sys.modules}
        with mlops.start_run(experiment="t") as run:
            with capturing(run, user_ns={"X": X, "y": y}):
                LogisticRegression().fit(X, y)
        record = mlops.get_run(run.id)
        print(sorted(m for m in frameworks if m in sys.modules and m not in before))
        print([m.name for m in record.models], record.params["C"])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines() == ["[]", "['logisticregression'] 1.0"]
