"""``jupyter-mlops models export``: a container context, KServe and MLflow, as users run them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
import pytest
import requests
import sklearn
import yaml
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops._version import __version__
from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.store import Store, current_store

Iris = tuple[pd.DataFrame, pd.Series]


@pytest.fixture
def project(store_dir: Path, iris: Iris) -> Store:
    """The working directory's project: ``iris`` v1 in staging, v2 in production."""
    store = current_store()
    X, y = iris
    for C, stage in ((0.05, "staging"), (1.0, "production")):
        with mlops.start_run(store=store) as run:
            fitted = LogisticRegression(C=C, max_iter=500).fit(X, y)
            run.log_model(fitted, "model", input_example=X[:3])
        version = mlops.models.register(run.id, "iris", store=store).version
        mlops.models.promote("iris", version, to=stage, checks=["version >= 1"], store=store)
    return store


def _ours(store: Store, X: pd.DataFrame, uri: str = "models:/iris@production") -> list[int]:
    return [int(p) for p in mlops.models.load(uri, store=store).predict(X)]


def _pyfunc_load(folder: Path) -> Any:
    """``mlflow.pyfunc.load_model(folder)`` (MLflow warns about its own type hints on import)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyfunc = pytest.importorskip("mlflow.pyfunc")
        return pyfunc.load_model(str(folder))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def run_cmd() -> Iterator[Callable[[list[str], Path, dict[str, str]], subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def start(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def test_container_context_pins_the_recorded_environment(
    project: Store, cli: Callable[..., Any], tmp_path: Path
) -> None:
    result = cli("models", "export", "iris@production", "--format", "container", "--out", "ctx")
    assert result.code == 0, result.err
    assert "exported models:/iris/2 (production) as container into ctx" in result.out
    ctx = tmp_path / "ctx"
    docker = (ctx / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in docker
    assert "RUN pip install --no-cache-dir -r /tmp/requirements.txt" in docker
    reqs = (ctx / "requirements.txt").read_text().splitlines()
    assert f"jupyter-mlops=={__version__}" in reqs
    assert f"scikit-learn=={sklearn.__version__}" in reqs  # recorded with the run
    assert any(r.startswith("skops==") for r in reqs)
    cmd_line = next(line for line in docker.splitlines() if line.startswith("CMD "))
    assert json.loads(cmd_line[4:]) == [
        "jupyter-mlops", "serve", "models:/iris@production", "--host", "0.0.0.0", "--port", "8080",
    ]  # fmt: skip
    # The image's store holds only the exported version, under its own number.
    assert sorted(p.name for p in (ctx / "project" / ".mlops").iterdir()) == [
        "mlops.db",
        "objects",
    ]


def test_the_container_command_serves_the_exported_version(
    project: Store,
    iris: Iris,
    tmp_path: Path,
    run_cmd: Callable[[list[str], Path, dict[str, str]], subprocess.Popen[str]],
) -> None:
    X, _ = iris
    out = tmp_path / "ctx"
    info = mlops.models.export("models:/iris@production", "container", out, store=project)
    docker = (out / "Dockerfile").read_text()
    cmd = json.loads(next(ln for ln in docker.splitlines() if ln.startswith("CMD "))[4:])
    assert cmd == info.command
    port = _free_port()
    # What the image runs, from its WORKDIR (a copy of project/), with the model moved away
    # from the store it came from: only the exported files answer.
    cmd = [sys.executable, "-m", "jupyter_mlops.cli", *cmd[1:]]
    cmd[cmd.index("--port") + 1] = str(port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    env |= {"PYTHONPATH": os.pathsep.join(sys.path), "MLOPS_SERVE_TOKEN": "s3cret"}
    process = run_cmd(cmd, out / "project", env)
    assert process.stdout is not None
    ready = process.stdout.readline()
    assert "serving models:/iris/2 (following models:/iris@production)" in ready, ready + (
        process.stderr.read() if process.poll() is not None and process.stderr else ""
    )
    url = f"http://127.0.0.1:{port}"
    body = {"dataframe_split": json.loads(X[:5].to_json(orient="split", index=False))}
    refused = requests.post(f"{url}/invocations", json=body, timeout=10)
    assert refused.status_code == 401
    answer = requests.post(
        f"{url}/invocations",
        json=body,
        headers={"Authorization": "Bearer s3cret"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Mlops-Model-Version"] == "2"
    assert answer.json()["predictions"] == _ours(project, X[:5])
    assert requests.get(f"{url}/v2/health/live", timeout=10).status_code == 200  # a probe


def test_kserve_sklearn_uses_kserves_own_runtime(
    project: Store, iris: Iris, tmp_path: Path
) -> None:
    X, _ = iris
    info = mlops.models.export("models:/iris/1", "kserve", tmp_path / "k", store=project)
    assert info.files == ["inferenceservice.yaml", "mlops-model.json", "model/model.joblib"]
    manifest = yaml.safe_load((tmp_path / "k" / "inferenceservice.yaml").read_text())
    assert manifest["apiVersion"] == "serving.kserve.io/v1beta1"
    assert manifest["kind"] == "InferenceService"
    assert manifest["metadata"]["name"] == "iris"
    assert manifest["metadata"]["annotations"]["mlops/model-uri"] == "models:/iris/1"
    model = manifest["spec"]["predictor"]["model"]
    assert model["modelFormat"] == {"name": "sklearn"}
    assert model["protocolVersion"] == "v2"
    # KServe's sklearn server loads model.joblib: it predicts as the registered version.
    loaded = joblib.load(tmp_path / "k" / "model" / "model.joblib")
    assert [int(p) for p in loaded.predict(X)] == _ours(project, X, "models:/iris/1")


def test_kserve_other_flavors_run_our_server_as_a_custom_predictor(
    store_dir: Path, iris: Iris, tmp_path: Path
) -> None:
    xgboost = pytest.importorskip("xgboost")
    store = current_store()
    X, y = iris
    with mlops.start_run(store=store) as run:
        run.log_model(xgboost.XGBClassifier(n_estimators=5).fit(X, y), "model")
    mlops.models.register(run.id, "Iris_XGB.v2", store=store)
    mlops.models.promote("Iris_XGB.v2", 1, to="production", store=store, checks=["version >= 1"])
    mlops.models.export("models:/Iris_XGB.v2@production", "kserve", tmp_path / "k", store=store)
    manifest = yaml.safe_load((tmp_path / "k" / "inferenceservice.yaml").read_text())
    assert manifest["metadata"]["name"] == "iris-xgb-v2"  # a valid Kubernetes name
    (container,) = manifest["spec"]["predictor"]["containers"]
    assert container["command"] == ["jupyter-mlops"]
    assert container["args"][:2] == ["serve", "models:/Iris_XGB.v2@production"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"
    assert "xgboost==" in (tmp_path / "k" / "container" / "requirements.txt").read_text()
    assert (tmp_path / "k" / "container" / "Dockerfile").exists()


def test_mlflow_pyfunc_predicts_as_we_do(project: Store, iris: Iris, tmp_path: Path) -> None:
    X, _ = iris
    mlops.models.export("models:/iris@staging", "mlflow", tmp_path / "m", store=project)
    mlmodel = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    assert mlmodel["flavors"]["python_function"]["loader_module"] == (
        "jupyter_mlops.models.mlflow_pyfunc"
    )
    inputs = json.loads(mlmodel["signature"]["inputs"])
    assert [c["name"] for c in inputs] == list(X.columns)
    assert {c["type"] for c in inputs} == {"double"}
    loaded = _pyfunc_load(tmp_path / "m")
    assert [int(p) for p in loaded.predict(X)] == _ours(project, X, "models:/iris@staging")


def test_a_tampered_mlflow_export_refuses_to_load(project: Store, tmp_path: Path) -> None:
    mlops.models.export("models:/iris/1", "mlflow", tmp_path / "m", store=project)
    artifact = tmp_path / "m" / "data" / "model.bin"
    artifact.write_bytes(artifact.read_bytes() + b"x")
    with pytest.raises(Exception, match="does not match the digest of models:/iris/1"):
        _pyfunc_load(tmp_path / "m")


# -- bad input -------------------------------------------------------------------------------


def test_export_into_a_folder_with_files_is_refused(project: Store, tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    with pytest.raises(MlopsUsageError, match="not an empty folder"):
        mlops.models.export("models:/iris/1", "mlflow", tmp_path / "busy", store=project)
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["keep.txt"]


def test_export_of_an_unknown_stage_writes_nothing(project: Store, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="holds stage 'archived'"):
        mlops.models.export("models:/iris@archived", "container", tmp_path / "x", store=project)
    assert not (tmp_path / "x").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".export-")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["iris@production", "--format", "docker", "--out", "x"], "expected kserve, container"),
        (["iris@production", "--out", "x"], "--format: is required"),
        (["nope@production", "--format", "mlflow", "--out", "x"], "No registered model 'nope'"),
    ],
)
def test_export_mistakes_are_one_line_and_exit_2_or_1(
    project: Store, cli: Callable[..., Any], args: list[str], message: str
) -> None:
    result = cli("models", "export", *args)
    assert result.code in (1, 2)
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_export_json_and_magic_tell_the_same(
    project: Store, cli: Callable[..., Any], ip: Any, tmp_path: Path
) -> None:
    result = cli(
        "models", "export", "iris@production", "--format", "mlflow", "--out", "a", "--json"
    )
    record = json.loads(result.out)
    assert (record["model_name"], record["version"], record["stage"]) == ("iris", 2, "production")
    assert record["files"] == [
        "MLmodel",
        "data/mlops-model.json",
        "data/model.bin",
        "python_env.yaml",
        "requirements.txt",
    ]
    _, out, _ = ip.run("%mlops model export iris@production --format mlflow --out b")
    assert "mlops: exported models:/iris/2 (production) as mlflow into b (5 files)" in out
