"""A search's child runs on both store backends (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sklearn.datasets import load_iris

import jupyter_mlops as mlops
from jupyter_mlops.tracking.capture import capturing


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_candidates_are_child_runs_found_by_their_parent(store) -> None:
    X, y = load_iris(return_X_y=True)
    ns = {"X": X, "y": y}
    with mlops.start_run(store=store, experiment="t") as run, capturing(run, user_ns=ns):
        exec(
            "from sklearn.model_selection import GridSearchCV\n"
            "from sklearn.tree import DecisionTreeClassifier\n"
            "grid = GridSearchCV(DecisionTreeClassifier(random_state=0),\n"
            "                    {'max_depth': [1, 2, 3]}, cv=3).fit(X, y)",
            ns,
        )
    children = mlops.search_runs(
        filter=f"parent_id = '{run.id}'", order_by=["metrics.rank_test_score"], store=store
    )
    assert list(children["status"]) == ["finished"] * 3
    best = children.iloc[0]
    assert best["name"] == f"grid-{ns['grid'].best_index_}"
    assert best["params.max_depth"] == str(ns["grid"].best_params_["max_depth"])
    assert best["metrics.mean_test_score"] == pytest.approx(ns["grid"].best_score_)
