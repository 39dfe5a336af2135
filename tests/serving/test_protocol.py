"""A served model answers MLflow's scoring protocol, V2 and /metadata like the model itself."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import requests
from sklearn.linear_model import LogisticRegression

Iris = tuple[pd.DataFrame, pd.Series]


def _expected(iris: Iris, rows: pd.DataFrame) -> list[int]:
    X, y = iris
    return LogisticRegression(max_iter=500).fit(X, y).predict(rows).tolist()  # type: ignore[no-any-return]


def test_every_mlflow_input_form_gets_the_models_predictions(
    register: Callable[..., int], serve: Callable[..., str], iris: Iris
) -> None:
    register()
    url = serve()
    X = iris[0].iloc[[0, 60, 120]]
    expected = _expected(iris, X)
    bodies = [
        {"dataframe_records": X.to_dict("records")},
        {"dataframe_split": X.to_dict("split")},
        {"instances": X.to_dict("records")},
        {"inputs": X.to_dict("list")},
    ]
    for body in bodies:
        answer = requests.post(f"{url}/invocations", json=body, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.json()["predictions"] == expected
        assert answer.json()["model_version"] == 1
        assert answer.headers["X-Mlops-Model-Version"] == "1"
    csv = requests.post(
        f"{url}/invocations",
        data=X.to_csv(index=False),
        headers={"Content-Type": "text/csv"},
        timeout=10,
    )
    assert csv.status_code == 200 and csv.json()["predictions"] == expected


def test_v2_infer_metadata_and_health(
    register: Callable[..., int], serve: Callable[..., str], iris: Iris
) -> None:
    register()
    url = serve()
    X = iris[0].iloc[:4]
    body = {
        "id": "req-1",
        "inputs": [
            {"name": c, "shape": [4], "datatype": "FP64", "data": X[c].tolist()} for c in X.columns
        ],
    }
    answer = requests.post(f"{url}/v2/models/iris/infer", json=body, timeout=10).json()
    assert answer["id"] == "req-1" and answer["model_version"] == "1"
    assert answer["outputs"][0]["data"] == _expected(iris, X)
    # One input of shape [rows, width] is a matrix in the signature's column order.
    matrix = {"inputs": [{"name": "x", "shape": [4, 4], "datatype": "FP64",
                          "data": X.to_numpy().ravel().tolist()}]}  # fmt: skip
    answer = requests.post(f"{url}/v2/models/iris/infer", json=matrix, timeout=10).json()
    assert answer["outputs"][0]["data"] == _expected(iris, X)

    assert requests.get(f"{url}/v2/health/live", timeout=10).json() == {"live": True}
    ready = requests.get(f"{url}/v2/health/ready", timeout=10)
    assert ready.status_code == 200 and ready.json()["problem"] is None
    model = requests.get(f"{url}/v2/models/iris", timeout=10).json()
    assert [i["name"] for i in model["inputs"]] == list(X.columns)
    meta = requests.get(f"{url}/metadata", timeout=10).json()
    assert (meta["name"], meta["version"], meta["stage"]) == ("iris", 1, "production")
    assert meta["signature"]["type"] == "dataframe"
    assert meta["lineage"] == "jupyter-mlops lineage models:/iris/1"
    other = requests.post(f"{url}/v2/models/churn/infer", json=body, timeout=10)
    assert other.status_code == 404 and "serves model 'iris'" in other.json()["message"]
    pinned = requests.post(f"{url}/v2/models/iris/versions/1/infer", json=body, timeout=10)
    assert pinned.status_code == 200 and pinned.json()["model_version"] == "1"
    gone = requests.post(f"{url}/v2/models/iris/versions/7/infer", json=body, timeout=10)
    assert gone.status_code == 404
    assert gone.json()["message"] == "This server serves version 1 of 'iris', not 7."


def test_a_fixed_version_is_served_whatever_the_stage(
    register: Callable[..., int], serve: Callable[..., str], iris: Iris
) -> None:
    register()
    register(C=0.01)
    url = serve("models:/iris/1")
    body = {"dataframe_records": iris[0][:1].to_dict("records")}
    answer = requests.post(f"{url}/invocations", json=body, timeout=10)
    assert answer.json()["model_version"] == 1
    assert requests.get(f"{url}/metadata", timeout=10).json()["stage"] is None
