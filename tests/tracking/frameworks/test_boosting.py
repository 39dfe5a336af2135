"""XGBoost, LightGBM and CatBoost trained in ``%%mlops track`` cells, as a user would.

Needs the ``[frameworks]`` extra, installed by ``make install`` and CI (where these tests
run); ``pytest.importorskip`` only guards a machine without it.
"""

from __future__ import annotations

import numpy as np
import pytest

import jupyter_mlops as mlops


def test_xgboost_early_stopping_curves_model_and_roundtrip_by_stage(data, steps) -> None:
    pytest.importorskip("xgboost")
    data.run_cell(
        "%%mlops track xgb\n"
        "import xgboost as xgb\n"
        "model = xgb.XGBClassifier(n_estimators=200, max_depth=3, early_stopping_rounds=5,\n"
        "                          eval_metric='logloss')\n"
        "model.fit(X_train, y_train, eval_set=[(X_valid, y_valid)], verbose=False)"
    )
    model = data.user_ns["model"]
    run = mlops.get_run("xgb")
    assert run.status == "finished"
    assert (run.params["n_estimators"], run.params["max_depth"]) == ("200", "3")
    trained = model.get_booster().num_boosted_rounds()
    assert steps(run, "validation_0.logloss") == list(range(trained))
    assert run.metrics["best_iteration"] == model.best_iteration < trained - 1
    assert run.metrics["best_score"] == pytest.approx(model.best_score)
    [saved] = run.models
    assert (saved.name, saved.flavor, saved.format) == ("xgbclassifier", "xgboost", "ubj")
    assert [c["name"] for c in saved.signature["columns"]] == ["f0", "f1", "f2", "f3", "f4"]
    roles = {(i.role, i.source) for i in run.inputs}
    assert {("training", "X_train"), ("evaluation", "X_valid")} <= roles
    assert run.environment["packages"]["xgboost"] == __import__("xgboost").__version__

    mlops.models.register(run.id, "churn-xgb")
    mlops.models.promote("churn-xgb", 1, to="production", checks=["version >= 1"])
    loaded = mlops.models.load("models:/churn-xgb@production")
    X_valid = data.user_ns["X_valid"]
    assert type(loaded).__name__ == "XGBClassifier"
    np.testing.assert_array_equal(loaded.predict_proba(X_valid), model.predict_proba(X_valid))
    served = mlops.models.load_predictor("models:/churn-xgb@production")
    np.testing.assert_array_equal(served.predict(X_valid), model.predict(X_valid))


def test_xgboost_native_train_and_cv(data, steps) -> None:
    pytest.importorskip("xgboost")
    data.run_cell(
        "%%mlops track native\n"
        "import xgboost as xgb\n"
        "dtrain = xgb.DMatrix(X_train, label=y_train)\n"
        "dvalid = xgb.DMatrix(X_valid, label=y_valid)\n"
        "params = {'objective': 'binary:logistic', 'eta': 0.3}\n"
        "booster = xgb.train(params, dtrain, 20, evals=[(dtrain, 'train'), (dvalid, 'valid')],\n"
        "                    early_stopping_rounds=3, verbose_eval=False)\n"
        "history = xgb.cv(params, dtrain, 5, nfold=3)"
    )
    run = mlops.get_run("native")
    booster = data.user_ns["booster"]
    assert (run.params["eta"], run.params["num_boost_round"]) == ("0.3", "20")
    assert steps(run, "valid.logloss") == list(range(booster.num_boosted_rounds()))
    assert run.metrics["best_iteration"] == booster.best_iteration
    assert steps(run, "cv.test-logloss-mean") == [0, 1, 2, 3, 4]
    assert run.params["cv.nfold"] == "3"
    assert [m.format for m in run.models] == ["ubj"]
    mlops.models.register(run.id, "booster")
    loaded = mlops.models.load("models:/booster/1")
    dvalid = data.user_ns["dvalid"]
    np.testing.assert_array_equal(loaded.predict(dvalid), booster.predict(dvalid))
    served = mlops.models.load_predictor("models:/booster/1")
    np.testing.assert_array_equal(served.predict(data.user_ns["X_valid"]), booster.predict(dvalid))


def test_lightgbm_sklearn_api_and_train_with_valid_sets(data, steps) -> None:
    pytest.importorskip("lightgbm")
    data.run_cell(
        "%%mlops track lgbm\n"
        "import lightgbm as lgb\n"
        "model = lgb.LGBMClassifier(n_estimators=300, learning_rate=0.1, verbose=-1)\n"
        "model.fit(X_train, y_train, eval_X=X_valid, eval_y=y_valid,\n"
        "          callbacks=[lgb.early_stopping(5, verbose=False)])"
    )
    run = mlops.get_run("lgbm")
    model = data.user_ns["model"]
    assert run.params["n_estimators"] == "300"
    assert run.metrics["best_iteration"] == model.best_iteration_ < 300
    curve = steps(run, "valid_0.binary_logloss")
    assert curve == list(range(len(model.evals_result_["valid_0"]["binary_logloss"])))
    [saved] = run.models
    assert (saved.flavor, saved.format) == ("lightgbm", "txt")
    mlops.models.register(run.id, "lgbm")
    loaded = mlops.models.load("models:/lgbm/1")
    X_valid = data.user_ns["X_valid"]
    np.testing.assert_allclose(loaded.predict(X_valid), model.predict_proba(X_valid)[:, 1])

    data.run_cell(
        "%%mlops track lgb-train\n"
        "train_set = lgb.Dataset(X_train, label=y_train)\n"
        "valid_set = lgb.Dataset(X_valid, label=y_valid, reference=train_set)\n"
        "booster = lgb.train({'objective': 'binary', 'verbose': -1}, train_set, 15,\n"
        "                    valid_sets=[valid_set], valid_names=['valid'])"
    )
    run = mlops.get_run("lgb-train")
    assert run.params["objective"] == "binary"
    assert steps(run, "valid.binary_logloss") == list(range(15))
    assert ("training", "X_train") in {(i.role, i.source) for i in run.inputs}


def test_catboost_eval_set_best_iteration_and_roundtrip(data, steps) -> None:
    pytest.importorskip("catboost")
    data.run_cell(
        "%%mlops track cat\n"
        "from catboost import CatBoostClassifier\n"
        "model = CatBoostClassifier(iterations=200, depth=3, verbose=False,\n"
        "                           allow_writing_files=False, early_stopping_rounds=5)\n"
        "model.fit(X_train, y_train, eval_set=(X_valid, y_valid))"
    )
    run = mlops.get_run("cat")
    model = data.user_ns["model"]
    assert (run.params["iterations"], run.params["depth"]) == ("200", "3")
    assert "learning_rate" in run.params  # resolved by CatBoost at fit time
    rounds = len(model.get_evals_result()["validation"]["Logloss"])
    assert steps(run, "validation.Logloss") == list(range(rounds))
    assert rounds < 200  # stopped early
    assert run.metrics["best_iteration"] == model.get_best_iteration()
    [saved] = run.models
    assert (saved.flavor, saved.format) == ("catboost", "cbm")
    mlops.models.register(run.id, "cat")
    mlops.models.promote("cat", 1, to="staging")
    loaded = mlops.models.load("models:/cat@staging")
    X_valid = data.user_ns["X_valid"]
    assert type(loaded).__name__ == "CatBoostClassifier"
    np.testing.assert_array_equal(loaded.predict(X_valid), model.predict(X_valid))
