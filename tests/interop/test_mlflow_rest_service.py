"""The MLflow API's service without HTTP: what each request answers, and each mistake."""

from __future__ import annotations

from typing import Any

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.services.mlflow_api import MlflowApiError, answer
from jupyter_mlops.store import Store


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
    with pytest.raises(MlflowApiError, match="Unsupported filter"):
        answer(store, "POST", "experiments/search", {"filter": "tags.team = 'x'"})


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
