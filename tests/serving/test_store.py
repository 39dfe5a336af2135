"""The store's serving records on SQLite and PostgreSQL: stage holders, logged batches."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops.services.gc import collect_garbage
from jupyter_mlops.serving import logged_traffic
from jupyter_mlops.serving.inference_log import InferenceLogger
from jupyter_mlops.store import Store
from jupyter_mlops.store.core import open_store
from jupyter_mlops.store.migrate import migrate_store
from jupyter_mlops.store.serving import inference_batches, stage_holder

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_stage_holder_and_logged_batches_read_back(store: Store) -> None:
    X, y = load_iris(return_X_y=True, as_frame=True)
    with mlops.start_run(store=store) as run:
        run.log_model(LogisticRegression(max_iter=500).fit(X, y), "model", input_example=X[:3])
    version = mlops.models.register(run.id, "iris", store=store)
    assert stage_holder(store, "iris", "production") is None
    mlops.models.promote("iris", 1, to="production", store=store, checks=["version >= 1"])
    holder = stage_holder(store, "iris", "production")
    assert holder is not None and (holder.version, holder.digest) == (1, version.digest)

    logger = InferenceLogger(store, "iris", "production", flush_seconds=60)
    for i in range(5):
        rows = X.iloc[i * 2 : i * 2 + 2]
        logger.record(f"r{i}", 1, rows, [0, 0], 1.5)
    assert logger.flush() == 10
    logger.record("r5", 1, X.iloc[10:11], [0], 1.0)
    logger.close()
    batches = inference_batches(store, "iris", stage="production")
    assert [b.n_rows for b in batches] == [10, 1]
    assert batches[0].versions == "1"
    logged = logged_traffic(store, "serving:iris@production", inputs_only=True)
    pd.testing.assert_frame_equal(logged, X.iloc[:11].reset_index(drop=True))


def test_gc_keeps_logged_traffic(store: Store) -> None:
    X, y = load_iris(return_X_y=True, as_frame=True)
    with mlops.start_run(store=store) as run:
        run.log_model(LogisticRegression(max_iter=500).fit(X, y), "model", input_example=X[:3])
    mlops.models.register(run.id, "iris", store=store)
    mlops.models.promote("iris", 1, to="production", store=store, checks=["version >= 1"])
    logger = InferenceLogger(store, "iris", "production", flush_seconds=60)
    logger.record("r0", 1, X.iloc[:4], [0, 0, 0, 0], 1.0)
    logger.close()

    collect_garbage(store, older_than=0.0, delete=True)

    logged = logged_traffic(store, "serving:iris@production", inputs_only=True)
    pd.testing.assert_frame_equal(logged, X.iloc[:4].reset_index(drop=True))


def test_store_migrate_brings_logged_traffic_over_once(
    store: Store, make_store_uri: Callable[..., str]
) -> None:
    X, y = load_iris(return_X_y=True, as_frame=True)
    with mlops.start_run(store=store) as run:
        run.log_model(LogisticRegression(max_iter=500).fit(X, y), "model", input_example=X[:3])
    mlops.models.register(run.id, "iris", store=store)
    mlops.models.promote("iris", 1, to="production", store=store, checks=["version >= 1"])
    logger = InferenceLogger(store, "iris", "production", flush_seconds=60)
    logger.record("r0", 1, X.iloc[:4], [0, 0, 0, 0], 1.0)
    logger.close()

    target_uri = make_store_uri("team")
    migrate_store(store, target_uri)
    migrate_store(store, target_uri)  # a rerun copies nothing again

    team = open_store(target_uri, store.objects.uri)
    try:
        assert [b.n_rows for b in inference_batches(team, "iris", stage="production")] == [4]
        logged = logged_traffic(team, "serving:iris@production", inputs_only=True)
        pd.testing.assert_frame_equal(logged, X.iloc[:4].reset_index(drop=True))
    finally:
        team.close()
