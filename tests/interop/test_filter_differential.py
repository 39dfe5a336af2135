"""MLflow filters and order_bys copied unchanged: the same runs, in the same order, as MLflow.

The same 50 runs are logged with MLflow's own client into an MLflow SQLite store and
imported into ours (MLflow's run ids are kept), then each search asks both.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.store import Store
from tests.interop.conftest import T0

pytestmark = pytest.mark.filterwarnings(r"ignore:::mlflow(\.|$)")

# Only what MLflow accepts: IN on params, tags or statuses is our extension (MLflow refuses
# it), and so is a backslash in a LIKE pattern (MLflow's meaning depends on its backend).
SEARCHES: list[tuple[str, list[str]]] = [
    ("", []),
    ("", ["metrics.acc DESC"]),
    ("", ["metrics.acc"]),
    ("", ["metrics.loss DESC"]),
    ("", ["params.lr", "metrics.acc DESC"]),
    ("", ["params.model DESC"]),
    ("", ["tags.team"]),
    ("", ["attributes.start_time"]),
    ("", ["attributes.end_time DESC"]),
    ("", ["tags.mlflow.runName DESC"]),
    ("", ["attributes.Created DESC"]),
    ("", ["attributes.created"]),
    ("", ["attributes.status"]),
    ("metrics.acc > 0.5", ["metrics.acc DESC"]),
    ("metrics.acc >= 0.5 and params.model = 'svm'", []),
    ("metrics.`acc` < 0.3", ["params.lr DESC"]),
    ("`metric`.acc > 0.2", []),
    ("params.model != 'tree'", ["attributes.run_name"]),
    ("params.model LIKE 's%'", []),
    ("params.model ILIKE 'S%'", ["metrics.acc"]),
    (r"params.path = 'C:\temp\x'", []),
    ("params.path LIKE 'C:%'", []),
    ("tags.team = 'risk'", ["metrics.loss"]),
    ("tags.mlflow.runName = 'run-7'", []),
    ("tags.mlflow.runName LIKE 'run-1%'", ["attributes.run_name DESC"]),
    ("attributes.run_name = 'run-3'", []),
    ("run.run_name LIKE 'run-2%'", []),
    ("attributes.status = 'FINISHED'", []),
    ("attributes.status != 'SCHEDULED'", ["metrics.acc DESC"]),
    ("attributes.status LIKE 'FIN%'", []),
    (f"attributes.start_time > {T0 + 20_000}", []),
    (f"attributes.start_time <= {T0 + 10_000}", ["attributes.start_time DESC"]),
    (f"attributes.end_time < {T0 + 40_000}", []),
    ("attr.run_name ILIKE 'RUN-4%'", []),
    ("metrics.acc > 0.1 and tags.team != 'risk'", ["params.model", "metrics.acc"]),
]


def _log(client: object, rng: random.Random) -> str:
    from mlflow.tracking import MlflowClient

    assert isinstance(client, MlflowClient)
    exp = client.create_experiment("diff")
    for i in range(50):
        # Start times collide in groups of three, so ties break on time, then run id.
        start = T0 + 1000 * (i // 3)
        run = client.create_run(exp, run_name=f"run-{i}", start_time=start)
        rid = run.info.run_id
        client.log_param(rid, "model", rng.choice(["svm", "tree", "knn", "Svm"]))
        client.log_param(rid, "lr", rng.choice(["0.1", "0.01", "1"]))
        if i % 10 == 0:
            client.log_param(rid, "path", r"C:\temp\x")
        if i % 4:
            client.set_tag(rid, "team", rng.choice(["risk", "growth"]))
        if i % 5:  # some runs without acc; a few tie on it
            acc = rng.choice([0.25, 0.5, 0.75]) if i % 7 == 0 else round(rng.random(), 3)
            client.log_metric(rid, "acc", acc, timestamp=start, step=0)
        loss = math.nan if i % 6 == 0 else round(rng.random(), 2)
        client.log_metric(rid, "loss", loss, timestamp=start, step=1)
        if i % 9 == 0:  # two points at the same step and time: the larger is the latest
            client.log_metric(rid, "loss", 5.0, timestamp=start, step=1)
            client.log_metric(rid, "loss", 4.0, timestamp=start, step=1)
        status = ["FINISHED", "FINISHED", "FAILED", "KILLED"][i % 4]
        client.set_terminated(rid, status, end_time=start + 1000 * (i % 5))
    return exp


def test_mlflow_searches_find_the_same_runs_in_the_same_order(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    exp = _log(client, random.Random(18))
    mlops.interop.import_mlflow(uri, store=store)

    differences = []
    for filter, order_by in SEARCHES:
        theirs = [
            r.info.run_id
            for r in client.search_runs([exp], filter, order_by=order_by, max_results=1000)
        ]
        frame = mlops.search_runs(filter, experiments=["diff"], order_by=order_by, store=store)
        ours = list(frame["run_id"])
        if ours != theirs:
            differences.append((filter, order_by, len(theirs), len(ours)))
    assert differences == [], "\n".join(map(str, differences))
