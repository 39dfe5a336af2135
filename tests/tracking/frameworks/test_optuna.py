"""Optuna studies in ``%%mlops track`` cells: the study's run is the parent of one run per trial.

Needs the ``[frameworks]`` extra, installed by ``make install`` and CI (where these tests
run); ``pytest.importorskip`` only guards a machine without it.
"""

from __future__ import annotations

import pytest

import jupyter_mlops as mlops

STUDY = """%%mlops track study
import optuna
from sklearn.linear_model import LogisticRegression
optuna.logging.set_verbosity(optuna.logging.WARNING)
def objective(trial):
    C = trial.suggest_float('C', 0.01, 10, log=True)
    if trial.number == 3:
        raise optuna.TrialPruned()
    model = LogisticRegression(C=C).fit(X_train, y_train)
    return model.score(X_valid, y_valid)
study = optuna.create_study(direction='maximize', study_name='tune-c',
                            sampler=optuna.samplers.RandomSampler(seed=0))
study.optimize(objective, n_trials=5)
"""


def test_each_trial_is_a_child_run_and_the_study_keeps_the_best(data) -> None:
    pytest.importorskip("optuna")
    data.run_cell(STUDY)
    study = data.user_ns["study"]
    parent = mlops.get_run("study")
    assert parent.params["study_name"] == "tune-c"
    assert parent.params["best.C"] == str(study.best_params["C"])
    assert parent.metrics["best_value"] == pytest.approx(study.best_value)
    history = mlops.get_metric_history(parent.id, "trial_value")
    assert [p.step for p in history] == [0, 1, 2, 4]  # the pruned trial has no value
    assert "trials.csv" in [a.path for a in parent.artifacts]

    frame = mlops.search_runs()
    children = frame[frame["parent_id"] == parent.id].sort_values("name")
    assert list(children["name"]) == [f"trial-{n}" for n in range(5)]
    assert set(children["tags.mlops.parent"]) == {parent.id}
    assert list(children["tags.optuna.state"]) == ["COMPLETE"] * 3 + ["PRUNED", "COMPLETE"]
    assert set(children["status"]) == {"finished"}
    first = mlops.get_run(children["run_id"].iloc[0])
    trial = study.trials[0]
    assert first.params["C"] == str(trial.params["C"])
    assert first.metrics["value"] == pytest.approx(trial.value)
    assert first.metrics["duration_s"] > 0
    # What the objective fitted is captured into the trial's run, not the study's.
    assert [m.name for m in first.models] == ["logisticregression"]
    assert parent.models == []


def test_a_failing_trial_ends_its_run_failed(data) -> None:
    pytest.importorskip("optuna")
    with pytest.raises(ValueError, match="bad trial"):
        data.run_cell(
            "%%mlops track failing-study\n"
            "import optuna\n"
            "optuna.logging.set_verbosity(optuna.logging.ERROR)\n"
            "def objective(trial):\n"
            "    trial.suggest_int('n', 1, 3)\n"
            "    raise ValueError('bad trial')\n"
            "optuna.create_study().optimize(objective, n_trials=1)"
        )
    parent = mlops.get_run("failing-study")
    assert parent.status == "failed"
    frame = mlops.search_runs()
    children = frame[frame["parent_id"] == parent.id]
    assert list(zip(children["name"], children["status"], strict=True)) == [("trial-0", "failed")]


def test_ended_trials_are_in_the_store_while_the_study_still_runs(data) -> None:
    pytest.importorskip("optuna")
    data.run_cell(
        "%%mlops track long-study\n"
        "import time\n"
        "import optuna\n"
        "import jupyter_mlops as mlops\n"
        "optuna.logging.set_verbosity(optuna.logging.WARNING)\n"
        "seen = []\n"
        "def objective(trial):\n"
        "    x = trial.suggest_float('x', -1, 1)\n"
        "    if trial.number == 3:\n"
        "        parent = mlops.active_run().parent_id\n"
        "        for _ in range(50):  # what the study did so far is written within a second\n"
        "            frame = mlops.search_runs()\n"
        "            frame = frame[frame['parent_id'] == parent]\n"
        "            seen[:] = sorted(zip(frame['name'], frame['status']))\n"
        "            if len(seen) == 4:\n"
        "                break\n"
        "            time.sleep(0.1)\n"
        "    return x ** 2\n"
        "optuna.create_study().optimize(objective, n_trials=5)"
    )
    # The trial in progress is shown running, as any run, once a second has passed.
    assert data.user_ns["seen"] == [
        ("trial-0", "finished"),
        ("trial-1", "finished"),
        ("trial-2", "finished"),
        ("trial-3", "running"),
    ]
    parent = mlops.get_run("long-study")
    frame = mlops.search_runs()
    children = frame[frame["parent_id"] == parent.id]
    assert sorted(children["name"]) == [f"trial-{n}" for n in range(5)]
    assert set(children["status"]) == {"finished"}
    assert all(children["end_time"] >= children["start_time"])


def test_a_statsmodels_fit_in_each_trial_gets_its_summary_in_the_trial_run(data) -> None:
    pytest.importorskip("optuna")
    pytest.importorskip("statsmodels")
    data.run_cell(
        "%%mlops track ols-study\n"
        "import optuna\n"
        "import statsmodels.api as sm\n"
        "optuna.logging.set_verbosity(optuna.logging.WARNING)\n"
        "def objective(trial):\n"
        "    k = trial.suggest_int('k', 1, 5)\n"
        "    fit = sm.OLS(y_train, sm.add_constant(X_train.iloc[:, :k])).fit()\n"
        "    return fit.rsquared\n"
        "optuna.create_study(direction='maximize').optimize(objective, n_trials=3)"
    )
    parent = mlops.get_run("ols-study")
    frame = mlops.search_runs()
    children = frame[frame["parent_id"] == parent.id]
    assert len(children) == 3
    for run_id in children["run_id"]:
        trial = mlops.get_run(run_id)
        assert trial.status == "finished"
        assert "summary.txt" in [a.path for a in trial.artifacts]
        assert trial.metrics["rsquared"] == pytest.approx(trial.metrics["value"])
