"""Building a small lineage graph in a store, row by row as the features record it."""

import time
import uuid

from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sqlalchemy import insert

import jupyter_mlops as mlops
from jupyter_mlops import models
from jupyter_mlops.store import tables as t

RAW, TRAIN, TEST, FRAME = "aa" * 32, "bb" * 32, "cc" * 32, "dd" * 32


def add_version(store, name, digest, run_id=None):
    now = time.time()
    with store.write() as conn:
        did = conn.execute(insert(t.datasets).values(name=name, created_at=now))
        result = conn.execute(
            insert(t.dataset_versions).values(
                dataset_id=did.inserted_primary_key[0],
                version=1,
                digest=digest,
                size=1,
                format="csv",
                kind="file",
                run_id=run_id,
                created_at=now,
            )
        )
        return result.inserted_primary_key[0]


def link(store, run_id, version_id, role, direction):
    with store.write() as conn:
        conn.execute(
            insert(t.run_dataset_links).values(
                run_id=run_id,
                version_id=version_id,
                role=role,
                direction=direction,
                created_at=time.time(),
            )
        )


def add_triggered_pipeline_run(store, monitor_run_id):
    """A pipeline run started by ``monitor.act`` for monitor run ``monitor_run_id``."""
    pipeline_run_id = uuid.uuid4().hex
    with store.write() as conn:
        conn.execute(
            insert(t.pipeline_runs).values(
                id=pipeline_run_id,
                name="retrain",
                spec_path="pipeline.yaml",
                spec_digest="ee" * 32,
                pipeline_version="ff" * 32,
                env="dev",
                status="ok",
                trigger="monitor",
                trigger_run_id=monitor_run_id,
                started=time.time(),
            )
        )
    return pipeline_run_id


def add_reproductions(store, run_id):
    """Run ``run_id`` as the reproduction of an earlier run, and reproduced by a later one."""
    from jupyter_mlops.store import reproductions

    with mlops.start_run("train-original", store=store) as original:
        pass
    with mlops.start_run("train-again", store=store) as again:
        pass
    common = {"model_version_id": None, "tolerance": 0.0, "details": {}}
    reproductions.add(
        store, run_id=original.id, reproduction_run_id=run_id, verdict="reproduced", **common
    )
    reproductions.add(
        store, run_id=run_id, reproduction_run_id=again.id, verdict="not reproduced", **common
    )
    # Refused before anything ran (data gone): a certificate without a reproduction run.
    reproductions.add(
        store, run_id=run_id, reproduction_run_id=None, verdict="not reproduced", **common
    )
    return {"original": original.id, "again": again.id}


def build_graph(store):
    """raw -> prep run -> train, test -> train run -> models:/churn/1 -> staging, production.

    Returns the ids of the two runs.
    """
    raw = add_version(store, "churn-raw", RAW)
    with mlops.start_run("prep", store=store) as prep:
        pass
    link(store, prep.id, raw, "source", "input")
    train = add_version(store, "churn-train", TRAIN, run_id=prep.id)
    test = add_version(store, "churn-test", TEST)
    link(store, prep.id, test, "product", "output")
    X, y = make_classification(n_samples=50, n_features=4, random_state=0)
    with mlops.start_run("train", store=store) as run:
        run.log_model(LogisticRegression().fit(X, y))
        run.log_input(role="evaluation", kind="file", source="data/test.csv", digest=TEST)
        run.log_input(role="training", kind="frame", source="X_train", digest=FRAME)
    link(store, run.id, train, "training", "input")
    models.register(run.id, "churn", store=store)
    models.promote("churn", 1, to="staging", user="ana", store=store)
    models.promote("churn", 1, to="production", user="ana", store=store, checks=["version >= 1"])
    return {"prep": prep.id, "train": run.id}
