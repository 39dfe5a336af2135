"""Inference logging: inputs, outputs, version and latency in batches; sampling; a crash
loses at most the last flush interval."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pandas as pd
import pytest
import requests
from sklearn.linear_model import LogisticRegression

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.services import serving
from jupyter_mlops.serving import logged_traffic
from jupyter_mlops.store import Store
from jupyter_mlops.store.serving import inference_batches

Iris = tuple[pd.DataFrame, pd.Series]
SOURCE = "serving:iris@production"


def _send(url: str, rows: pd.DataFrame, session: requests.Session | None = None) -> str:
    body = {"dataframe_records": rows.to_dict("records")}
    answer = (session or requests).post(f"{url}/invocations", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.headers["X-Request-Id"])


def test_what_was_asked_and_answered_is_logged_in_batches(
    store: Store, register: Callable[..., int], serve: Callable[..., str], iris: Iris
) -> None:
    register()
    url = serve()
    X = iris[0]
    ids = [_send(url, X.iloc[i : i + 3]) for i in range(0, 60, 3)]
    serving.stop(url)  # a stopped server writes what is left

    logged = logged_traffic(store, SOURCE)
    assert len(logged) == 60
    assert list(logged["mlops.request_id"].unique()) == ids
    pd.testing.assert_frame_equal(logged[list(X.columns)], X.iloc[:60].reset_index(drop=True))
    assert (logged["mlops.version"] == 1).all()
    assert (logged["mlops.latency_ms"] > 0).all()
    model = LogisticRegression(max_iter=500).fit(X, iris[1])
    assert list(logged["mlops.prediction"]) == list(model.predict(X.iloc[:60]))
    assert len(inference_batches(store, "iris")) < 5  # never one row per request
    inputs = logged_traffic(store, SOURCE, inputs_only=True)
    assert list(inputs.columns) == list(X.columns)


def test_logging_can_be_sampled_or_off(
    store: Store, register: Callable[..., int], serve: Callable[..., str], iris: Iris
) -> None:
    register()
    sampled = serve(log_sample=0.5)
    off = serve(log=False)
    session = requests.Session()
    for i in range(200):
        _send(sampled, iris[0].iloc[[i % 150]], session)
        _send(off, iris[0].iloc[[i % 150]], session)
    serving.stop(sampled)
    serving.stop(off)
    logged = logged_traffic(store, SOURCE)
    assert 60 <= len(logged) <= 140  # half of 200, give or take chance
    with pytest.raises(MlopsUsageError, match="No traffic logged for serving:iris@staging"):
        logged_traffic(store, "serving:iris@staging")
    with pytest.raises(MlopsUsageError, match="Invalid window 'yesterday'"):
        logged_traffic(store, SOURCE, window="yesterday")
    recent = logged_traffic(store, SOURCE, window="1h")
    assert len(recent) == len(logged)


def test_a_killed_server_loses_at_most_the_last_flush_interval(
    store: Store, register: Callable[..., int], iris: Iris
) -> None:
    register()
    env = {
        **os.environ,
        "MLOPS_STORE_URI": store.uri,
        "MLOPS_ARTIFACTS_URI": store.objects.uri,
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_mlops.cli", "serve", "models:/iris@production",
         "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        ready = server.stdout.readline()
        found = re.search(r"at (http://\S+) ", ready)
        assert found, ready
        url = found.group(1)
        session = requests.Session()
        flushed = [_send(url, iris[0].iloc[[i]], session) for i in range(50)]
        time.sleep(2.5)  # more than one flush interval (1 s)
        in_flight = [_send(url, iris[0].iloc[[i]], session) for i in range(50, 70)]
        server.send_signal(signal.SIGKILL)
        server.wait(10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
        if server.stdout is not None:
            server.stdout.close()
    logged = set(logged_traffic(store, SOURCE)["mlops.request_id"])
    assert set(flushed) <= logged  # everything before the last flush survived
    assert logged <= set(flushed) | set(in_flight)
