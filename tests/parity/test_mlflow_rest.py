"""MLflow's API asked through both mounts (the Jupyter extension and ``jupyter-mlops server``)
over one project gives the same answers, and the runs are the Python API's too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

import jupyter_mlops as mlops
from tests.interop.mlflow_server import Served, start_server
from tests.parity.conftest import Faces, Project

pytest.importorskip("mlflow")


@pytest.fixture(scope="package")
def standalone(project: Project) -> Iterator[Served]:
    server = start_server(project.root, settings=project.settings)
    yield server
    log = server.stop()
    assert "Traceback" not in log, log


def _ask(base: str, token: str, method: str, path: str, body: dict[str, Any]) -> Any:
    url = f"{base}/api/2.0/mlflow/{path}"
    headers = {"Authorization": f"Bearer {token}"}
    if method == "GET":
        answer = requests.get(url, params=body, headers=headers, timeout=60)
    else:
        answer = requests.post(url, json=body, headers=headers, timeout=60)
    return answer.status_code, answer.json()


def test_both_mounts_answer_the_same(faces: Faces, standalone: Served) -> None:
    jupyter = faces.project.jupyter
    mounts = {
        "standalone": (standalone.url, standalone.token),
        "jupyter": (f"{jupyter.url}mlops/mlflow", jupyter.token),
    }
    base, token = mounts["standalone"]
    exp = _ask(base, token, "POST", "experiments/create", {"name": "mlflow-parity"})[1]
    made = _ask(base, token, "POST", "runs/create", {"experiment_id": exp["experiment_id"]})
    run_id = made[1]["run"]["info"]["run_id"]
    base, token = mounts["jupyter"]
    points = [
        {"key": "auc", "value": 0.5 + s / 10, "timestamp": 1000 * s, "step": s} for s in range(3)
    ]
    _ask(base, token, "POST", "runs/log-batch", {"run_id": run_id, "metrics": points})
    _ask(base, token, "POST", "runs/log-parameter", {"run_id": run_id, "key": "C", "value": "1"})

    questions = [
        ("GET", "experiments/get-by-name", {"experiment_name": "mlflow-parity"}),
        ("GET", "runs/get", {"run_id": run_id}),
        (
            "POST",
            "runs/search",
            {"experiment_ids": [exp["experiment_id"]], "filter": "params.C = '1'"},
        ),
        ("GET", "metrics/get-history", {"run_id": run_id, "metric_key": "auc"}),
        ("GET", "runs/get", {"run_id": "0" * 32}),
        ("POST", "runs/search", {"experiment_ids": ["1"], "filter": "metrics.auc >>> 1"}),
    ]
    for method, path, body in questions:
        answers = {name: _ask(*where, method, path, body) for name, where in mounts.items()}
        assert answers["standalone"] == answers["jupyter"], path

    ours = mlops.get_run(run_id, store=faces.store)
    assert ours.params == {"C": "1"} and ours.metrics == {"auc": 0.7}
    assert faces.rest(f"runs/{run_id}")["params"] == {"C": "1"}
