"""Every feature on a PostgreSQL store chosen the way a team does it: ``MLOPS_STORE_URI``.

Tracking, search, datasets, the registry, pipeline records, monitoring history and schedule
claims, through their public APIs, against the real server."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

import jupyter_mlops as mlops
from jupyter_mlops import models, scheduler
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.monitor.act import act
from jupyter_mlops.monitor.history import history
from jupyter_mlops.scheduler import claims
from jupyter_mlops.store import current_store, reset_current_store
from jupyter_mlops.store import pipelines as pipeline_records
from jupyter_mlops.store import schedules as schedule_rows

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])


@pytest.fixture
def team(store_dir: Path, store_uri: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """This project's store is the PostgreSQL database ``store_uri``."""
    monkeypatch.setenv("MLOPS_STORE_URI", store_uri)
    reset_current_store()
    yield store_uri
    reset_current_store()


def test_tracking_and_search_go_to_the_team_database(team: str) -> None:
    for c, auc in ((0.1, 0.7), (1.0, 0.92), (10.0, math.nan)):
        with mlops.start_run(f"C={c}", experiment="churn") as run:
            mlops.log_param("C", c)
            mlops.log_metric("auc", auc)
            mlops.set_tag("owner", "ana")
    assert current_store().dialect == "postgresql"
    found = mlops.search_runs("metrics.auc > 0.8 and tags.owner = 'ana'")
    assert list(found["name"]) == ["C=1.0"]
    frame = mlops.search_runs(order_by="metrics.auc desc", experiments="churn")
    assert list(frame["name"]) == ["C=1.0", "C=0.1", "C=10.0"]  # NaN sorts last
    record = mlops.get_run(run.id)
    assert record.status == "finished" and math.isnan(record.metrics["auc"])


def test_datasets_version_and_read_back(team: str) -> None:
    first = mlops.data.add(pd.DataFrame({"x": [1, 2, 3]}), "customers")
    same = mlops.data.add(pd.DataFrame({"x": [1, 2, 3]}), "customers")
    second = mlops.data.add(pd.DataFrame({"x": [1, 2, 3, 4]}), "customers")
    assert (first.version, same.version, second.version) == (1, 1, 2)
    assert mlops.data.get("customers@1").row_count == 3
    assert list(mlops.data.list("customers")["version"]) == [1, 2]


def test_registry_promotion_and_loading(team: str) -> None:
    fitted = DummyClassifier(strategy="most_frequent").fit([[0], [1], [2]], [1, 1, 0])
    assert models.register(fitted, "churn").version == 1
    assert models.register(fitted, "churn").version == 2
    models.promote("churn", 1, to="staging")
    models.promote("churn", 2, to="staging", reason="newer")
    assert models.load("models:/churn@staging").predict([[5]]).tolist() == [1]
    outcomes = [(e.outcome, e.from_version, e.to_version) for e in models.events("churn")]
    assert outcomes == [("promoted", None, 1), ("promoted", 1, 2)]


def test_pipeline_records(team: str) -> None:
    store = current_store()
    prun = pipeline_records.create_pipeline_run(
        store, name="tiny", spec_path="pipeline.yaml", spec_digest="0" * 64,
        pipeline_version="1" * 64, env="dev", run_id=None, params={"n": 3}, options={},
    )  # fmt: skip
    step = pipeline_records.add_step_run(store, prun, "train", status="running", cache_key="k")
    pipeline_records.update_step_run(store, step, status="ok", outputs={"data/x": "d" * 64})
    pipeline_records.end_pipeline_run(store, prun, "ok", None)
    (row,) = pipeline_records.step_runs(store, prun)
    assert (row.status, row.cache_key, row.outputs) == ("ok", "k", {"data/x": "d" * 64})


def test_monitoring_history(team: str) -> None:
    ids = []
    for share, drifted in ((0.1, False), (0.6, True)):
        with mlops.start_run() as run:
            run.log_metrics({"drift.share": share, "drift.dataset_drift": float(drifted)})
            act({"dataset_drift": drifted, "share": share}, name="churn", alert=[])
        ids.append(run.id)
    frame = history("churn").frame
    assert list(frame["run_id"]) == ids
    assert list(frame["drift_share"]) == [0.1, 0.6]


def test_schedule_claims(team: str, store_dir: Path) -> None:
    (store_dir / "nb.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    t0 = 1_800_000_000.0
    sched = scheduler.add("hourly", notebook="nb.ipynb", cron="0 * * * *", now=lambda: t0)
    store = current_store()
    (claim,) = claims.claim_due(store, sched.id, t0 + 3600)
    assert claims.claim_due(store, sched.id, t0 + 3600) == []
    assert claims.claim_now(store, sched.id, t0 + 3700) is None  # still running
    schedule_rows.record(store, claim.schedule_run_id, status="ok", ended=t0 + 3650)
    assert claims.claim_now(store, sched.id, t0 + 3700) is not None


def test_a_value_too_long_for_postgresql_is_a_usage_error(team: str) -> None:
    with pytest.raises(MlopsUsageError, match=r"refused a value: value too long.*nothing was"):
        mlops.start_run("n" * 300)
    assert mlops.active_run() is None
    assert len(mlops.search_runs()) == 0
