"""MLflow's client pointed at the Jupyter server's ``/mlops/mlflow`` with Jupyter's token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests._jupyter import Jupyter, start_jupyter

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402

pytestmark = pytest.mark.filterwarnings(r"ignore:::mlflow(\.|$)")


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Jupyter]:
    root = tmp_path_factory.mktemp("project")
    (root / ".mlops").mkdir()
    server = start_jupyter(root, tmp_path_factory.mktemp("jupyter"), {})
    try:
        server.wait_ready()
        yield server
    finally:
        log = server.stop()
    assert "Traceback" not in log, log


def test_mlflow_code_logs_into_the_project_through_jupyter(
    jupyter: Jupyter, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    uri = f"{jupyter.url}mlops/mlflow"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", jupyter.token)
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    mlflow.set_tracking_uri(uri)
    note = tmp_path / "notes.txt"
    note.write_text("from the notebook server")

    mlflow.set_experiment("via-jupyter")
    with mlflow.start_run(run_name="lab") as run:
        mlflow.log_param("lr", 0.1)
        mlflow.log_metric("loss", 0.3, step=1)
        mlflow.log_artifact(str(note))

    found = mlflow.search_runs(filter_string="params.lr = '0.1'")
    assert list(found["run_id"]) == [run.info.run_id]
    local = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="notes.txt", dst_path=str(tmp_path / "dl")
    )
    assert Path(local).read_text() == "from the notebook server"
    # The run is the project's, as our REST API and Python API see it.
    listed = jupyter.get("runs", params={"experiment": "via-jupyter"}).json()["items"]
    assert [(r["name"], r["params"], r["metrics"]) for r in listed] == [
        ("lab", {"lr": "0.1"}, {"loss": 0.3})
    ]
    with pytest.raises(MlflowException) as unknown:
        MlflowClient().get_run("f" * 32)
    assert unknown.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_jupyters_token_scheme_works_and_no_token_is_401(jupyter: Jupyter) -> None:
    path = f"{jupyter.url}mlops/mlflow/api/2.0/mlflow/experiments/search"
    assert requests.post(path, json={}, headers=jupyter.headers(), timeout=30).status_code == 200
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        answer = requests.post(path, json={}, headers=headers, timeout=30)
        assert answer.status_code == 401
        assert answer.json()["error_code"] == "UNAUTHENTICATED"
