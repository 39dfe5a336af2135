"""An MLflow filter or order_by copied unchanged finds what MLflow finds, in MLflow's order."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping

import pytest
from sqlalchemy import insert

import jupyter_mlops as mlops
from jupyter_mlops.errors import FilterSyntaxError
from jupyter_mlops.store import Store
from jupyter_mlops.store import runs as q
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.metric_chunks import insert_points
from jupyter_mlops.store.search import search_runs


def add(
    store: Store,
    name: str,
    *,
    status: str = "finished",
    start: float = 1_700_000_000.0,
    params: Mapping[str, str] = {},
    metrics: Mapping[str, float] = {},
    run_id: str | None = None,
) -> str:
    """One finished run written straight to the store, with one point per metric."""
    rid = run_id or uuid.uuid4().hex
    with store.write() as conn:
        exp = q.get_or_create_experiment(conn, "e")
        conn.execute(
            insert(t.runs).values(
                id=rid,
                name=name,
                experiment_id=exp,
                status=status,
                start_time=start,
                end_time=start + 10,
                heartbeat=start,
            )
        )
        for key, value in params.items():
            conn.execute(insert(t.params).values(run_id=rid, key=key, value=value))
        for key, value in metrics.items():
            row = {
                "run_id": rid,
                "key": key,
                "step": 0,
                "value": None if math.isnan(value) else value,
                "is_nan": math.isnan(value),
                "timestamp": start,
            }
            insert_points(conn, [(rid, [(key, 0, value, start)])])
            conn.execute(insert(t.latest_metrics).values(**row))
    return rid


def names(store: Store, filter: str | None = None, order_by: list[str] | None = None) -> list[str]:
    return [str(n) for n in search_runs(store, filter, order_by=order_by)["name"]]


def test_the_run_name_tag_matches_and_orders_by_the_run_name(store: Store) -> None:
    add(store, "b-run", start=1)
    add(store, "a-run", start=2)
    assert names(store, "tags.mlflow.runName = 'b-run'") == ["b-run"]
    assert names(store, "tags.`mlflow.runName` LIKE 'a%'") == ["a-run"]
    assert names(store, order_by=["tags.mlflow.runName"]) == ["a-run", "b-run"]
    assert names(store, order_by=["attributes.`Run name` DESC"]) == ["b-run", "a-run"]


def test_status_compares_with_mlflow_upper_case_names(store: Store) -> None:
    add(store, "done", status="finished", start=1)
    add(store, "broke", status="failed", start=2)
    assert names(store, "attributes.status LIKE 'FIN%'") == ["done"]
    assert names(store, "attributes.status ILIKE 'f%'") == ["broke", "done"]
    # Like MLflow's LIKE, case-sensitive against the upper-case name.
    assert names(store, "attributes.status LIKE 'fin%'") == []
    assert names(store, "status != 'SCHEDULED'") == ["broke", "done"]
    assert names(store, "status = 'SCHEDULED'") == []
    assert names(store, "status = 'FAILED'") == ["broke"]


def test_backslashes_in_strings_are_the_text_typed(store: Store) -> None:
    add(store, "win", params={"path": "C:\\temp\\x"})
    add(store, "nl", params={"path": "C:\ntemp"})
    assert names(store, r"params.path = 'C:\temp\x'") == ["win"]
    assert names(store, r"params.path LIKE 'C:\\t%'") == ["win"]


def test_time_literals_that_can_only_be_milliseconds_are_read_as_such(store: Store) -> None:
    add(store, "old", start=1_600_000_000.0)
    add(store, "new", start=1_700_000_500.0)
    assert names(store, "attributes.start_time > 1700000000000") == ["new"]
    assert names(store, "attributes.start_time > 1700000000") == ["new"]
    assert names(store, "attributes.created < 1650000000000") == ["old"]
    assert names(store, "start_time > '2023-11-14'") == ["new"]


def test_ties_break_newest_first_then_by_run_id(store: Store) -> None:
    add(store, "older", start=1, metrics={"m": 1.0}, run_id="0" * 32)
    add(store, "newer", start=2, metrics={"m": 1.0}, run_id="f" * 32)
    add(store, "same-b", start=3, metrics={"m": 1.0}, run_id="b" * 32)
    add(store, "same-a", start=3, metrics={"m": 1.0}, run_id="a" * 32)
    expected = ["same-a", "same-b", "newer", "older"]
    assert names(store, order_by=["metrics.m"]) == expected
    assert list(search_runs(store, order_by=["metrics.m"], limit=1)["name"]) == ["same-a"]


def test_nan_sorts_after_every_number_and_before_missing(store: Store) -> None:
    add(store, "nan", start=1, metrics={"m": math.nan}, run_id="f" * 32)
    add(store, "low", start=2, metrics={"m": -1.0})
    add(store, "high", start=3, metrics={"m": 5.0})
    add(store, "none", start=4, run_id="0" * 32)
    assert names(store, order_by=["metrics.m"]) == ["low", "high", "nan", "none"]
    assert names(store, order_by=["metrics.m DESC"]) == ["high", "low", "nan", "none"]


def test_same_step_and_timestamp_keeps_the_larger_value(store: Store) -> None:
    with mlops.start_run("r", experiment="e", store=store) as run:
        run.log_metric("m", 3.0, step=1, timestamp=100.0)
        run.log_metric("m", 7.0, step=1, timestamp=100.0)
        run.log_metric("m", 5.0, step=1, timestamp=100.0)
        run.log_metric("n", 2.0, step=0, timestamp=100.0)
        run.flush()
        run.log_metric("n", 1.0, step=0, timestamp=100.0)  # a later batch, a smaller value
    frame = search_runs(store)
    assert frame["metrics.m"].tolist() == [7.0]
    assert frame["metrics.n"].tolist() == [2.0]
    assert names(store, "metrics.m = 7") == ["r"]


@pytest.mark.parametrize(
    "expr",
    [
        "`metric`.acc > 0.5",
        "`metrics`.`acc` > 0.5",
        "run.name = 'good'",
        "attr.run_name = 'good'",
        "attributes.run_uuid LIKE '%'",
    ],
)
def test_mlflow_name_spellings(store: Store, expr: str) -> None:
    add(store, "good", metrics={"acc": 0.9})
    assert names(store, expr) == ["good"]


def test_backticked_param_key_with_a_space(store: Store) -> None:
    add(store, "k", params={"my key": "v"})
    assert names(store, "`params`.`my key` = 'v'") == ["k"]


def test_an_unknown_status_is_still_refused(store: Store) -> None:
    with pytest.raises(FilterSyntaxError, match="unknown status 'done'"):
        search_runs(store, "status = 'done'")


def test_dataset_filters_match_the_datasets_a_run_used(store: Store) -> None:
    import pandas as pd

    with mlops.start_run("trained", experiment="e", store=store) as run:
        version = run.log_dataset(pd.DataFrame({"x": [1, 2]}), name="churn-train", role="training")
        run.log_dataset(pd.DataFrame({"y": [3]}), name="scores", role="product")  # an output
    with mlops.start_run("other", experiment="e", store=store) as run:
        run.log_dataset(pd.DataFrame({"x": [9]}), name="holdout", role="evaluation")
    assert names(store, "datasets.name = 'churn-train'") == ["trained"]
    assert names(store, "datasets.name LIKE 'churn%' and datasets.context = 'training'") == [
        "trained"
    ]
    assert names(store, f"datasets.digest = '{version.digest}'") == ["trained"]
    assert names(store, "datasets.name IN ('holdout', 'nope')") == ["other"]
    assert names(store, "datasets.name = 'scores'") == []  # outputs are not inputs
    with pytest.raises(FilterSyntaxError, match=r"expected datasets\.name, datasets\.digest"):
        search_runs(store, "datasets.size = '1'")
    with pytest.raises(FilterSyntaxError, match="not ordered by their datasets"):
        search_runs(store, order_by=["datasets.name"])


def test_artifact_uri_is_refused_saying_why(store: Store) -> None:
    with pytest.raises(FilterSyntaxError, match="no artifact URI to filter on"):
        search_runs(store, "attributes.artifact_uri LIKE '%s3%'")
