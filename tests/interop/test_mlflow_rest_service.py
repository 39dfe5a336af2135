"""The MLflow API's service without HTTP: what each request answers, and each mistake."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from sqlalchemy import select

import jupyter_mlops as mlops
from jupyter_mlops.services.mlflow_api import MlflowApiError, answer
from jupyter_mlops.store import Store
from jupyter_mlops.store import tables as t


def _run(store: Store, **extra: Any) -> str:
    exp = answer(store, "POST", "experiments/create", {"name": "e"})["experiment_id"]
    made = answer(store, "POST", "runs/create", {"experiment_id": exp, **extra})
    return str(made["run"]["info"]["run_id"])


def test_a_run_created_with_mlflow_times_is_ours_with_seconds(store: Store) -> None:
    run_id = _run(store, run_name="first", start_time=1_700_000_000_123, user_id="ana")

    mine = mlops.get_run(run_id, store=store)
    assert mine.name == "first" and mine.user == "ana" and mine.status == "running"
    assert mine.start_time == pytest.approx(1_700_000_000.123)
    answer(
        store,
        "POST",
        "runs/update",
        {"run_id": run_id, "status": "FINISHED", "end_time": "1700000060000"},
    )
    answer(store, "POST", "runs/set-tag", {"run_id": run_id, "key": "mlflow.runName", "value": "b"})
    info = answer(store, "GET", "runs/get", {"run_id": run_id})["run"]["info"]
    assert (info["status"], info["run_name"], info["end_time"]) == (
        "FINISHED",
        "b",
        1_700_000_060_000,
    )
    assert mlops.get_run(run_id, store=store).name == "b"


def test_experiment_zero_is_the_default_experiment(store: Store) -> None:
    made = answer(store, "POST", "runs/create", {"experiment_id": "0"})
    run_id = made["run"]["info"]["run_id"]
    assert mlops.get_run(run_id, store=store).experiment == "Default"


@pytest.mark.parametrize(
    ("method", "path", "payload", "code", "text"),
    [
        ("GET", "runs/get", {"run_id": "f" * 32}, "RESOURCE_DOES_NOT_EXIST", "not found"),
        ("GET", "runs/get", {}, "INVALID_PARAMETER_VALUE", "run_id"),
        ("GET", "experiments/get", {"experiment_id": "x"}, "INVALID_PARAMETER_VALUE", "whole"),
        ("GET", "experiments/get", {"experiment_id": "999"}, "RESOURCE_DOES_NOT_EXIST", "999"),
        (
            "POST",
            "runs/search",
            {"experiment_ids": ["1"], "page_token": "nope"},
            "INVALID_PARAMETER_VALUE",
            "page token",
        ),
        (
            "POST",
            "runs/search",
            {"experiment_ids": ["1"], "max_results": 0},
            "INVALID_PARAMETER_VALUE",
            "max_results",
        ),
        (
            "POST",
            "runs/search",
            {"experiment_ids": ["1"], "run_view_type": "SOME"},
            "INVALID_PARAMETER_VALUE",
            "run_view_type",
        ),
        (
            "POST",
            "runs/search",
            {"experiment_ids": ["1"], "filter": "metrics.a >>> 1"},
            "INVALID_PARAMETER_VALUE",
            "",
        ),
        ("POST", "runs/nothing", {}, "ENDPOINT_NOT_FOUND", "runs/nothing"),
        ("GET", "runs/create", {}, "ENDPOINT_NOT_FOUND", "GET"),
        ("GET", "registered-models/get", {"name": "none"}, "RESOURCE_DOES_NOT_EXIST", "none"),
        ("GET", "logged-models/m-" + "0" * 32, {}, "RESOURCE_DOES_NOT_EXIST", "m-000"),
        (
            "POST",
            "model-versions/create",
            {"name": "m", "source": "s3://elsewhere/model"},
            "INVALID_PARAMETER_VALUE",
            "logged through this server",
        ),
    ],
)
def test_mistakes_answer_mlflow_error_codes(
    store: Store, method: str, path: str, payload: dict[str, Any], code: str, text: str
) -> None:
    with pytest.raises(MlflowApiError) as refused:
        answer(store, method, path, payload)
    assert refused.value.code == code
    assert text in refused.value.message


def test_a_batch_over_mlflows_limits_writes_nothing(store: Store) -> None:
    run_id = _run(store)
    metrics = [{"key": "m", "value": 1, "timestamp": 0, "step": i} for i in range(1001)]
    with pytest.raises(MlflowApiError, match="at most 1000 metrics"):
        answer(store, "POST", "runs/log-batch", {"run_id": run_id, "metrics": metrics})
    assert mlops.get_metric_history(run_id, "m", store=store) == []


def test_metric_history_pages(store: Store) -> None:
    run_id = _run(store)
    points = [{"key": "m", "value": i, "timestamp": 1000 * i, "step": i} for i in range(5)]
    answer(store, "POST", "runs/log-batch", {"run_id": run_id, "metrics": points})
    seen: list[int] = []
    token = None
    while True:
        page = answer(
            store,
            "GET",
            "metrics/get-history",
            {"run_id": run_id, "metric_key": "m", "max_results": "2", "page_token": token},
        )
        seen += [p["step"] for p in page["metrics"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert seen == [0, 1, 2, 3, 4]


def test_experiments_search_by_name(store: Store) -> None:
    for name in ("churn-a", "churn-b", "fraud"):
        answer(store, "POST", "experiments/create", {"name": name})
    found = answer(store, "POST", "experiments/search", {"filter": "name LIKE 'churn%'"})
    assert sorted(e["name"] for e in found["experiments"]) == ["churn-a", "churn-b"]
    found = answer(store, "POST", "experiments/search", {"filter": "attribute.name = 'fraud'"})
    assert [e["name"] for e in found["experiments"]] == ["fraud"]
    exp = answer(
        store,
        "POST",
        "experiments/create",
        {
            "name": "o'hare",
            "tags": [{"key": "team", "value": "it's"}, {"key": "a b", "value": "1"}],
        },
    )["experiment_id"]

    def search(text: str) -> list[str]:
        found = answer(store, "POST", "experiments/search", {"filter": text})
        return sorted(e["name"] for e in found["experiments"])

    assert search("tags.team = 'it''s'") == ["o'hare"]
    assert search("tag.`a b` = '1' and name = 'o''hare'") == ["o'hare"]
    assert search("tags.\"a b\" LIKE '%'") == ["o'hare"]
    # `!=` holds for an experiment without the tag (MLflow 3's client relies on it).
    assert search("tags.team != 'it''s'") == ["churn-a", "churn-b", "fraud"]
    assert search("tags.team ILIKE 'IT%' AND name != 'fraud'") == ["o'hare"]
    for bad in ("tags.team > 'x'", "creation_time > 5", "name = 'x' OR name = 'y'", "name ="):
        with pytest.raises(MlflowApiError, match="Unsupported filter") as refused:
            search(bad)
        assert refused.value.code == "INVALID_PARAMETER_VALUE"
    assert exp


def test_a_silent_run_marked_killed_runs_again_when_its_client_logs(store: Store) -> None:
    from jupyter_mlops.store import mlflow_api as q
    from jupyter_mlops.store.runs import reap_stale_runs

    run_id = _run(store)
    q.update_run(store, run_id, {"heartbeat": 1.0})  # silent for a long time
    reap_stale_runs(store, force=True)
    assert mlops.get_run(run_id, store=store).status == "killed"

    answer(store, "POST", "runs/log-metric", {"run_id": run_id, "key": "m", "value": 1})

    again = mlops.get_run(run_id, store=store)
    assert (again.status, again.end_time, again.error) == ("running", None, None)
    q.update_run(store, run_id, {"heartbeat": 1.0})
    reap_stale_runs(store, force=True)
    answer(store, "POST", "runs/update", {"run_id": run_id, "status": "FINISHED"})
    ended = mlops.get_run(run_id, store=store)
    assert (ended.status, ended.error) == ("finished", None)


def test_a_production_alias_without_a_policy_is_refused_as_any_ungated_promotion(
    store: Store,
) -> None:
    from sklearn.linear_model import LogisticRegression

    with mlops.start_run("m", store=store) as run:
        run.log_model(LogisticRegression().fit([[0], [1]], [0, 1]), "model")
    mlops.models.register(run.id, "gated", store=store)
    with pytest.raises(MlflowApiError) as refused:
        answer(
            store,
            "POST",
            "registered-models/alias",
            {"name": "gated", "alias": "champion", "version": "1"},
        )
    assert refused.value.code == "INVALID_PARAMETER_VALUE"
    assert "Promotion to production needs at least one check" in refused.value.message
    assert mlops.models.get("gated", 1, store=store).stages == []
    # A stage that is not gated moves by alias as before.
    answer(
        store,
        "POST",
        "registered-models/alias",
        {"name": "gated", "alias": "challenger", "version": "1"},
    )
    assert mlops.models.get("gated", 1, store=store).stages == ["staging"]


# -- runs/log-batch: every mistake, what it answers and that it writes nothing ---------------

_GOOD = [{"key": "m", "value": 1.0, "timestamp": 1000, "step": 0}]
_BAD_METRICS = [{"key": "m", "value": "high", "timestamp": 1000, "step": 0}]


def _batch_refused(store: Store, body: dict[str, Any]) -> MlflowApiError:
    with pytest.raises(MlflowApiError) as refused:
        answer(store, "POST", "runs/log-batch", body)
    return refused.value


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            {"metrics": {"key": "m"}},
            "INVALID_PARAMETER_VALUE",
            "Parameter 'metrics' must be a list.",
        ),
        (
            {"metrics": ["m"]},
            "INVALID_PARAMETER_VALUE",
            "Each metric is an object with key, value, timestamp and step.",
        ),
        (
            {"metrics": [{"key": "", "value": 1}]},
            "INVALID_PARAMETER_VALUE",
            "A metric name must be a non-empty string, not ''.",
        ),
        (
            {"metrics": [{"key": 3, "value": 1}]},
            "INVALID_PARAMETER_VALUE",
            "A metric name must be a non-empty string, not 3.",
        ),
        (
            {"metrics": [{"key": "m", "value": 1}, {"key": "m\x00", "value": 1}]},
            "INVALID_PARAMETER_VALUE",
            "The metric name 'm\\x00' contains a NUL character.",
        ),
        (
            {"metrics": [{"key": "m", "timestamp": 1}]},
            "INVALID_PARAMETER_VALUE",
            "Missing value for required parameter 'value' of metric 'm'.",
        ),
        (
            {"metrics": _BAD_METRICS},
            "INVALID_PARAMETER_VALUE",
            "value must be a number, not 'high'.",
        ),
        (
            {"metrics": [{"key": "m", "value": True}]},
            "INVALID_PARAMETER_VALUE",
            "value must be a number, not True.",
        ),
        (
            {"metrics": [{"key": "m", "value": 1, "timestamp": 1.5}]},
            "INVALID_PARAMETER_VALUE",
            "timestamp must be a whole number, not 1.5.",
        ),
        (
            {"metrics": [{"key": "m", "value": 1, "step": "one"}]},
            "INVALID_PARAMETER_VALUE",
            "step must be a whole number, not 'one'.",
        ),
        (
            {"metrics": [{"key": "m", "value": 1, "timestamp": 1, "step": 2**63}]},
            "INVALID_PARAMETER_VALUE",
            f"step must fit in 64 bits (-2**63 to 2**63 - 1), not {2**63}.",
        ),
        (
            {"metrics": [{"key": "m", "value": 1, "timestamp": 1, "step": "-9223372036854775809"}]},
            "INVALID_PARAMETER_VALUE",
            "step must fit in 64 bits (-2**63 to 2**63 - 1), not '-9223372036854775809'.",
        ),
        (
            {"metrics": [{"key": "m", "value": 1, "step": i} for i in range(1001)]},
            "INVALID_PARAMETER_VALUE",
            "A batch may hold at most 1000 metrics; it held 1001.",
        ),
        (
            {"params": [{"key": f"p{i}", "value": "1"} for i in range(101)]},
            "INVALID_PARAMETER_VALUE",
            "A batch may hold at most 100 params; it held 101.",
        ),
        (
            {"tags": [{"key": f"t{i}", "value": "1"} for i in range(101)]},
            "INVALID_PARAMETER_VALUE",
            "A batch may hold at most 100 tags; it held 101.",
        ),
        (
            {"params": {"key": "p"}},
            "INVALID_PARAMETER_VALUE",
            "Parameter 'params' must be a list of key/value objects.",
        ),
        (
            {"tags": [{"value": "x"}]},
            "INVALID_PARAMETER_VALUE",
            "Each item of 'tags' needs a string 'key'.",
        ),
        (
            {"params": [{"key": "p", "value": "x" * 6001}]},
            "INVALID_PARAMETER_VALUE",
            "Param value of 'p' is 6001 characters; at most 6000.",
        ),
        (
            {"params": [{"key": " ", "value": "x"}]},
            "INVALID_PARAMETER_VALUE",
            "A param name must be a non-empty string, not ' '.",
        ),
        (
            {"tags": [{"key": "mlops.mlflow.origin", "value": "x"}]},
            "INVALID_PARAMETER_VALUE",
            "Tags starting with 'mlops.mlflow.' are reserved.",
        ),
    ],
)
def test_a_refused_batch_says_why_and_writes_nothing(
    store: Store, body: dict[str, Any], code: str, message: str
) -> None:
    run_id = _run(store, run_name="kept")
    # Good points, a param and a new name beside the mistake: none of them may be written.
    good = {
        "metrics": _GOOD,
        "params": [{"key": "C", "value": "0.5"}],
        "tags": [{"key": "mlflow.runName", "value": "renamed"}],
    }
    refused = _batch_refused(store, {"run_id": run_id, **good, **body})
    assert (refused.code, refused.message) == (code, message)
    run = mlops.get_run(run_id, store=store)
    assert (run.metrics, run.params, run.name) == ({}, {}, "kept")
    assert mlops.get_metric_history(run_id, "m", store=store) == []


def test_a_batch_without_a_run_id_is_refused(store: Store) -> None:
    refused = _batch_refused(store, {"metrics": _GOOD})
    assert (refused.code, refused.message) == (
        "INVALID_PARAMETER_VALUE",
        "Missing value for required parameter 'run_id'.",
    )


def test_a_changed_param_is_refused_with_mlflows_message_and_nothing_else_is_written(
    store: Store,
) -> None:
    run_id = _run(store)
    answer(store, "POST", "runs/log-parameter", {"run_id": run_id, "key": "C", "value": "0.5"})
    body = {
        "run_id": run_id,
        "metrics": _GOOD,
        "params": [{"key": "C", "value": "1.0"}],
        "tags": [{"key": "mlflow.runName", "value": "renamed"}, {"key": "team", "value": "x"}],
    }
    refused = _batch_refused(store, body)
    assert refused.code == "INVALID_PARAMETER_VALUE"
    assert refused.message == (
        "Changing param values is not allowed. Param with key='C' was already logged with "
        f"value='0.5' for run ID='{run_id}'. Attempted logging new value '1.0'."
    )
    run = mlops.get_run(run_id, store=store)
    assert (run.params, run.metrics, run.tags.get("team")) == ({"C": "0.5"}, {}, None)
    assert run.name != "renamed"
    # The same value again is no change: accepted.
    answer(store, "POST", "runs/log-batch", {**body, "params": [{"key": "C", "value": "0.5"}]})
    assert mlops.get_run(run_id, store=store).name == "renamed"


@pytest.mark.parametrize(
    "body",
    [
        {"metrics": _GOOD},
        {"metrics": _BAD_METRICS},
        {"metrics": "nope"},
        {"params": [{"key": "p", "value": "x" * 6001}]},
        {"metrics": [{"key": "m", "value": 1, "step": i} for i in range(1001)]},
    ],
)
def test_a_batch_for_an_unknown_run_is_not_found_whatever_else_is_wrong(
    store: Store, body: dict[str, Any]
) -> None:
    for unknown in ("f" * 32, "f" * 40):
        refused = _batch_refused(store, {"run_id": unknown, **body})
        assert (refused.code, refused.message) == (
            "RESOURCE_DOES_NOT_EXIST",
            f"Run with id={unknown} not found",
        )


@pytest.mark.parametrize(
    "body",
    [
        {"metrics": _GOOD},
        {"metrics": _BAD_METRICS},
        {"params": [{"key": "C", "value": "changed"}]},
        {"tags": [{"key": "mlflow.runName", "value": "renamed"}]},
        {"tags": [{"key": "mlops.mlflow.x", "value": "reserved"}]},
    ],
)
def test_a_batch_for_a_deleted_run_is_refused_first_and_writes_nothing(
    store: Store, body: dict[str, Any]
) -> None:
    run_id = _run(store, run_name="kept")
    answer(store, "POST", "runs/log-parameter", {"run_id": run_id, "key": "C", "value": "0.5"})
    answer(store, "POST", "runs/delete", {"run_id": run_id})
    refused = _batch_refused(store, {"run_id": run_id, **body})
    assert refused.code == "INVALID_PARAMETER_VALUE"
    assert refused.message == (
        f"The run {run_id} must be in the 'active' state. Current state is deleted: "
        "restore it first (MlflowClient().restore_run)."
    )
    answer(store, "POST", "runs/restore", {"run_id": run_id})
    run = mlops.get_run(run_id, store=store)
    assert (run.name, run.params, run.metrics) == ("kept", {"C": "0.5"}, {})


def test_a_batch_takes_mlflows_spellings_of_numbers_times_and_steps(store: Store) -> None:
    run_id = _run(store)
    points = [
        {"key": "a", "value": 1, "timestamp": "1700000000000", "step": "2"},
        {"key": "a", "value": "NaN", "timestamp": 1_700_000_000_000, "step": 3},
        {"key": "b", "value": "-Infinity", "timestamp": 1_700_000_000_500.0},
        {"key": "c", "value": 0.25, "step": None},
    ]
    answer(store, "POST", "runs/log-batch", {"run_id": run_id, "metrics": points})
    a = mlops.get_metric_history(run_id, "a", store=store)
    assert [(p.step, p.timestamp) for p in a] == [(2, 1_700_000_000.0), (3, 1_700_000_000.0)]
    assert a[0].value == 1.0 and a[1].value != a[1].value  # NaN
    (b,) = mlops.get_metric_history(run_id, "b", store=store)
    assert (b.step, b.value, b.timestamp) == (0, float("-inf"), 1_700_000_000.5)
    (c,) = mlops.get_metric_history(run_id, "c", store=store)
    assert c.step == 0 and c.value == 0.25 and abs(c.timestamp - time.time()) < 60
    # The latest value of a is its NaN (step 3 beats step 2), as MLflow shows it.
    got = answer(store, "GET", "runs/get", {"run_id": run_id})["run"]["data"]["metrics"]
    assert {m["key"]: m["value"] for m in got} == {"a": "NaN", "b": "-Infinity", "c": 0.25}


def test_a_batch_sets_params_tags_and_the_runs_name_and_parent_at_once(store: Store) -> None:
    parent = _run(store)
    run_id = answer(store, "POST", "runs/create", {"experiment_id": "1"})["run"]["info"]["run_id"]
    body = {
        "run_id": run_id,
        "params": [{"key": "C", "value": "0.5"}, {"key": "n", "value": 3}],
        "tags": [
            {"key": "team", "value": "risk"},
            {"key": "mlflow.runName", "value": "named"},
            {"key": "mlflow.parentRunId", "value": parent},
        ],
        "metrics": [{"key": "m", "value": 0.5, "timestamp": 1000, "step": 1}],
    }
    assert answer(store, "POST", "runs/log-batch", body) == {}
    run = mlops.get_run(run_id, store=store)
    assert run.params == {"C": "0.5", "n": "3"}
    assert (run.name, run.parent_id, run.tags["team"], run.metrics) == (
        "named",
        parent,
        "risk",
        {"m": 0.5},
    )
    assert run.tags["mlflow.parentRunId"] == parent
    # An empty name falls back to the start of the run id.
    answer(
        store,
        "POST",
        "runs/set-tag",
        {"run_id": run_id, "key": "mlflow.runName", "value": ""},
    )
    assert mlops.get_run(run_id, store=store).name == run_id[:8]


def test_a_run_logged_a_request_per_point_is_compacted_when_its_client_ends_it(
    store: Store,
) -> None:
    run_id = _run(store)
    for step in range(30):
        point = {"run_id": run_id, "key": "m", "value": step / 2, "timestamp": 1000, "step": step}
        answer(store, "POST", "runs/log-metric", point)
    answer(store, "POST", "runs/update", {"run_id": run_id, "status": "FINISHED"})
    with store.read() as conn:
        rows = conn.execute(
            select(t.metric_chunks.c.points).where(t.metric_chunks.c.run_id == run_id)
        ).all()
    assert rows == [(30,)]
    page = answer(store, "GET", "metrics/get-history", {"run_id": run_id, "metric_key": "m"})
    assert [(p["step"], p["value"]) for p in page["metrics"]] == [(s, s / 2) for s in range(30)]


@pytest.mark.parametrize(
    ("datasets", "message"),
    [
        ("x", "Parameter 'datasets' must be a list of dataset inputs."),
        ([{"tags": []}], "Each item of 'datasets' needs a 'dataset' object."),
        ([{"dataset": {"name": "d"}}], "A dataset needs a non-empty string 'name' and 'digest'."),
        ([{"dataset": {"name": "d", "digest": "x" * 65}}], "at most 64 characters, not 65"),
    ],
)
def test_a_malformed_dataset_input_is_refused_and_nothing_is_kept(
    store: Store, datasets: Any, message: str
) -> None:
    run_id = _run(store)
    good = {"dataset": {"name": "kept-not", "digest": "abc"}}
    items = [good, *datasets] if isinstance(datasets, list) else datasets
    with pytest.raises(MlflowApiError, match=re.escape(message)) as refused:
        answer(store, "POST", "runs/log-inputs", {"run_id": run_id, "datasets": items})
    assert refused.value.code == "INVALID_PARAMETER_VALUE"
    run = answer(store, "GET", "runs/get", {"run_id": run_id})["run"]
    assert run["inputs"] == {}
