"""Numeric requests skip the DataFrame: the answers stay the model's own, whatever the form.

A scikit-learn model of numeric columns is handed the checked rows as one array (the fast
path); a model that picks columns by name (a ColumnTransformer) keeps getting frames. Both
answer exactly what ``model.predict`` answers, for every request form and column order.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
import requests
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from jupyter_mlops.serving.holder import ModelHolder
from jupyter_mlops.store import Store

Iris = tuple[pd.DataFrame, pd.Series]


def _pipeline(iris: Iris) -> Any:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(*iris)


def _by_name(iris: Iris) -> Any:
    petals = ["petal length (cm)", "petal width (cm)"]
    picks = ColumnTransformer([("petals", StandardScaler(), petals)], remainder="drop")
    return make_pipeline(picks, LogisticRegression(max_iter=500)).fit(*iris)


@pytest.mark.parametrize(("make", "array"), [(_pipeline, True), (_by_name, False)])
def test_answers_are_the_models_own_on_either_path(
    store: Store,
    register: Callable[..., int],
    serve: Callable[..., str],
    iris: Iris,
    make: Callable[[Iris], Any],
    array: bool,
) -> None:
    model = make(iris)
    register(model=model)
    holder = ModelHolder(store, "models:/iris@production")
    assert (holder.current.array is not None) is array
    url = serve()
    X = iris[0].sample(40, random_state=3)
    expected = model.predict(X).tolist()
    shuffled = X[list(reversed(X.columns))]  # named columns in another order
    bodies = [
        {"dataframe_split": X.to_dict("split")},
        {"dataframe_split": shuffled.to_dict("split")},
        {"dataframe_records": shuffled.to_dict("records")},
        {"instances": X.to_numpy().tolist()},
        {"inputs": X.astype(int).to_numpy().tolist()},  # whole numbers into float columns
    ]
    for body in bodies:
        answer = requests.post(f"{url}/invocations", json=body, timeout=10)
        assert answer.status_code == 200, answer.text
        want = expected if body.get("inputs") is None else model.predict(X.astype(int)).tolist()
        assert answer.json()["predictions"] == want
    v2 = {"inputs": [{"name": "x", "shape": [40, 4], "datatype": "FP64",
                      "data": X.to_numpy().ravel().tolist()}]}  # fmt: skip
    answer = requests.post(f"{url}/v2/models/iris/infer", json=v2, timeout=10)
    assert answer.json()["outputs"][0]["data"] == expected


def test_the_array_path_still_refuses_what_does_not_fit(
    register: Callable[..., int], serve: Callable[..., str], iris: Iris
) -> None:
    register(model=_pipeline(iris))
    url = serve()
    refusals = {
        "Each row needs 4 values": {"instances": [[1.0, 2.0, 3.0]]},
        "Missing column 'petal width (cm)'": {
            "dataframe_split": {
                "columns": [*list(iris[0].columns[:3]), "petal"],
                "data": [[1, 2, 3, 4]],
            }
        },
        "The model refused the input": {"instances": [[1.0, 2.0, 3.0, float("nan")]]},
    }
    for message, body in refusals.items():
        answer = requests.post(
            f"{url}/invocations",
            data=json.dumps(body),  # NaN as JavaScript writes it
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        assert answer.status_code == 400, answer.text
        assert message in answer.json()["message"]
        assert "\n" not in answer.json()["message"]
