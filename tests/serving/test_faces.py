"""``jupyter-mlops serve``, ``jupyter-mlops predict`` and ``%mlops serve`` as users type them."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops.serving import logged_traffic
from jupyter_mlops.store import Store, current_store

Iris = tuple[pd.DataFrame, pd.Series]


@pytest.fixture
def project(store_dir: Path, iris: Iris) -> Store:
    """The working directory's project with ``iris`` version 1 in production."""
    store = current_store()
    X, y = iris
    with mlops.start_run(store=store) as run:
        run.log_model(LogisticRegression(max_iter=500).fit(X, y), "model", input_example=X[:3])
    mlops.models.register(run.id, "iris", store=store)
    mlops.models.promote("iris", 1, to="production", store=store, checks=["version >= 1"])
    return store


def _model(iris: Iris) -> LogisticRegression:
    return LogisticRegression(max_iter=500).fit(*iris)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["models:/nope@production"], "No registered model 'nope'"),
        (["models:/iris@staging"], "No version of model 'iris' holds stage 'staging'"),
        (["iris"], "Invalid model URI 'iris'"),
        (["models:/iris@production", "--host", "0.0.0.0"], "give --token TOKEN"),
        (["models:/iris@production", "--port", "70000"], "--port: expected at most 65535"),
        (["models:/iris@production", "--log-sample", "2"], "--log-sample: expected at most 1"),
    ],
)
def test_serve_mistakes_are_one_line_and_exit_2(
    project: Store, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, args: list[str],
    message: str,
) -> None:  # fmt: skip
    monkeypatch.delenv("MLOPS_SERVE_TOKEN", raising=False)
    result = cli("serve", *args)
    assert result.code == 2
    assert message in result.err and result.err.count("\n") == 1


def test_predict_scores_a_parquet_file_in_chunks(
    project: Store, cli: Callable[..., Any], iris: Iris, tmp_path: Path
) -> None:
    X = iris[0]
    X.to_parquet(tmp_path / "in.parquet")
    result = cli(
        "predict", "models:/iris@production", "--input", str(tmp_path / "in.parquet"),
        "--output", str(tmp_path / "out.parquet"), "--chunk-rows", "40", "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    info = json.loads(result.out)
    assert (info["rows"], info["chunks"], info["version"]) == (150, 4, 1)
    out = pd.read_parquet(tmp_path / "out.parquet")
    pd.testing.assert_frame_equal(out[list(X.columns)], X)
    assert list(out["prediction"]) == list(_model(iris).predict(X))

    X.to_csv(tmp_path / "in.csv", index=False)
    result = cli("predict", "models:/iris/1", "-i", str(tmp_path / "in.csv"), "-o",
                 str(tmp_path / "out.csv"))  # fmt: skip
    assert result.out.startswith("scored 150 rows of")
    assert list(pd.read_csv(tmp_path / "out.csv")["prediction"]) == list(out["prediction"])


def test_predict_refuses_rows_that_do_not_fit_and_writes_nothing(
    project: Store, cli: Callable[..., Any], iris: Iris, tmp_path: Path
) -> None:
    iris[0].drop(columns=["petal width (cm)"]).to_parquet(tmp_path / "in.parquet")
    out = tmp_path / "out.parquet"
    result = cli("predict", "models:/iris@production", "-i", str(tmp_path / "in.parquet"),
                 "-o", str(out))  # fmt: skip
    assert result.code == 2
    assert "Rows 1-150: Missing column 'petal width (cm)'" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == [".mlops", "in.parquet"]
    result = cli("predict", "models:/iris@production", "-i", "nope.parquet", "-o", str(out))
    assert result.code == 2 and "No input file nope.parquet" in result.err


@pytest.fixture
def served(project: Store) -> Iterator[Callable[..., tuple[subprocess.Popen[str], str]]]:
    """Start ``jupyter-mlops serve ARGS`` in a process of its own; its URL once it answers."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> tuple[subprocess.Popen[str], str]:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyter_mlops.cli", "serve", *args, "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
        )  # fmt: skip
        started.append(process)
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"at (http://\S+) ", line)
        assert found, line
        return process, found.group(1)

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_workers_share_the_port_follow_the_stage_and_flush_on_sigterm(
    project: Store, served: Callable[..., Any], iris: Iris
) -> None:
    process, url = served("models:/iris@production", "--workers", "2", "--poll-seconds", "0.2")
    session = requests.Session()
    body = {"dataframe_records": iris[0][:2].to_dict("records")}
    for _ in range(40):
        assert (
            session.post(f"{url}/invocations", json=body, timeout=10).json()["model_version"] == 1
        )
    with mlops.start_run(store=project) as run:
        run.log_model(LogisticRegression(C=0.01, max_iter=500).fit(*iris), "model",
                      input_example=iris[0][:3])  # fmt: skip
    mlops.models.register(run.id, "iris", store=project)
    mlops.models.promote("iris", 2, to="production", store=project, checks=["version >= 1"])
    for _ in range(100):  # each worker follows the stage on its own
        if {session.post(f"{url}/invocations", json=body, timeout=10).json()["model_version"]
                for _ in range(10)} == {2}:  # fmt: skip
            break
    else:
        pytest.fail("the workers did not all move to version 2")
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    logged = logged_traffic(project, "serving:iris@production")
    assert len(logged) >= 2 * (40 + 10)  # nothing lost on a clean stop
    assert set(logged["mlops.version"]) == {1, 2}


def test_the_magic_starts_lists_and_stops_a_server(project: Store, ip: Any, iris: Iris) -> None:
    _, out, _ = ip.run("%mlops serve start models:/iris@production --port 0")
    found = re.search(r"at (http://\S+) ", out)
    assert out.startswith("mlops: serving models:/iris/1, following models:/iris@production")
    assert found, out
    url = found.group(1)
    body = {"dataframe_records": iris[0][:1].to_dict("records")}
    assert requests.post(f"{url}/invocations", json=body, timeout=10).status_code == 200
    _, out, _ = ip.run("%mlops serve list")
    assert out == f"mlops: {url} serves models:/iris/1 (models:/iris@production)\n"
    _, out, _ = ip.run("%mlops serve stop")
    assert out == f"mlops: stopped {url}\n"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/v2/health/live", timeout=5)
    _, out, _ = ip.run("%mlops serve")
    assert out.startswith("mlops: no server runs in this kernel")
