"""Bad input is a 400 (413 when too large) with one line naming what is wrong, never a 500."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
import requests

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.services import schema, serving
from jupyter_mlops.store import Store

Iris = tuple[pd.DataFrame, pd.Series]
LENGTH = "sepal length (cm)"


def _post(url: str, **kwargs: object) -> requests.Response:
    return requests.post(f"{url}/invocations", timeout=30, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def url(register: Callable[..., int], serve: Callable[..., str]) -> str:
    register()
    return serve()


def test_a_missing_column_is_named(url: str, iris: Iris) -> None:
    rows = iris[0][:2].drop(columns=[LENGTH])
    answer = _post(url, json={"dataframe_records": rows.to_dict("records")})
    assert answer.status_code == 400
    assert answer.json()["message"].startswith(f"Missing column {LENGTH!r}")


def test_a_value_of_the_wrong_type_is_named_not_cast(url: str, iris: Iris) -> None:
    row = {**iris[0].iloc[0].to_dict(), LENGTH: "5.1"}
    answer = _post(url, json={"dataframe_records": [row]})
    assert answer.status_code == 400
    assert answer.json()["message"] == f"Column {LENGTH!r} expects numbers (float64), not '5.1'."
    flag = {**iris[0].iloc[0].to_dict(), LENGTH: True}
    answer = _post(url, json={"dataframe_records": [flag]})
    assert answer.status_code == 400 and LENGTH in answer.json()["message"]


def test_rows_of_the_wrong_width_are_refused(url: str) -> None:
    answer = _post(url, json={"instances": [[1.0, 2.0, 3.0]]})
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("Each row needs 4 values")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "The body is not valid JSON"),
        (b"[1, 2]", "The JSON body must be an object"),
        (b'{"rows": []}', "The JSON body must have exactly one of"),
        (b'{"instances": [], "inputs": []}', "not instances, inputs"),
        (b'{"dataframe_records": []}', "The request has no rows to predict."),
        (b'{"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}', "does not fit"),
        (b"[" * 200_000, "The JSON body nests too deeply."),
    ],
)
def test_a_bad_body_is_a_400_with_one_line(url: str, body: bytes, message: str) -> None:
    answer = _post(url, data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert message in answer.json()["message"]
    assert "\n" not in answer.json()["message"]


def test_an_oversized_body_is_a_413_and_the_server_goes_on(
    register: Callable[..., int], serve: Callable[..., str], iris: Iris
) -> None:
    register()
    url = serve(max_body_mb=1)
    answer = _post(url, data=b"x" * (3 * 1024 * 1024), headers={"Content-Type": "text/csv"})
    assert answer.status_code == 413
    assert "over the server's limit of 1048576 bytes" in answer.json()["message"]

    def chunks() -> object:  # no Content-Length: the limit holds while reading
        for _ in range(30):
            yield b"y" * 100_000

    answer = _post(url, data=chunks(), headers={"Content-Type": "text/csv"})
    assert answer.status_code == 413
    fine = _post(url, json={"dataframe_records": iris[0][:1].to_dict("records")})
    assert fine.status_code == 200


def test_binding_beyond_this_machine_needs_a_token(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(serving.TOKEN_ENV, raising=False)
    request = schema.ServeRequest(uri="models:/iris@production", host="0.0.0.0")
    with pytest.raises(MlopsUsageError, match="give --token TOKEN"):
        serving.start(store, request)


def test_with_a_token_only_clients_that_send_it_are_answered(
    register: Callable[..., int], serve: Callable[..., str], iris: Iris
) -> None:
    register()
    url = serve(token="s3cret")
    body = {"dataframe_records": iris[0][:1].to_dict("records")}
    refused = _post(url, json=body)
    assert refused.status_code == 401 and "Bearer" in refused.json()["message"]
    answered = _post(url, json=body, headers={"Authorization": "Bearer s3cret"})
    assert answered.status_code == 200
    assert requests.get(f"{url}/v2/health/live", timeout=10).status_code == 200
