"""The loop closes, as a user runs it: ``jupyter-mlops serve`` (a process of its own) follows
production and logs what it answers; a scheduled monitor notebook checks that traffic against
the served version's training data, alerts a webhook and triggers the retrain pipeline, which
promotes the retrained version behind a check; the same server process then answers with it.

The monitor notebook and the pipeline are the ones ``example_notebooks/06_serving.ipynb`` uses
(``example_notebooks/serving/``); ``schedule run-now`` runs them in real kernels.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import jupyter_mlops as mlops
from jupyter_mlops.services import pipelines
from jupyter_mlops.serving import logged_traffic
from jupyter_mlops.store import current_store

EXAMPLE = Path(__file__).parents[2] / "example_notebooks" / "serving"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "jupyter_mlops.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=120)


def _start_cli(*args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "jupyter_mlops.cli", *args]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local webhook; the alerts it received."""
    received: list[dict[str, Any]] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/alerts", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def server(store_dir: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``wine`` version 1 in production, served by ``jupyter-mlops serve`` in its own process."""
    X, y = load_wine(return_X_y=True, as_frame=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)
    with mlops.start_run(name="wine-v1") as run:
        run.log_dataset(X_train.assign(target=y_train), "wine-train", role="training")
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        run.log_model(model.fit(X_train, y_train), "model", input_example=X_train[:3])
    mlops.models.register(run.id, "wine")
    mlops.models.promote("wine", 1, to="production", checks=["version >= 1"])
    shutil.copytree(EXAMPLE, store_dir / "serving")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter_mlops.cli", "serve", "models:/wine@production",
         "--port", "0", "--poll-seconds", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), text=True,
    )  # fmt: skip
    assert process.stdout is not None
    found = re.search(r"at (http://\S+) ", process.stdout.readline())
    assert found
    yield process, found.group(1)
    if process.poll() is None:
        process.kill()
        process.wait(10)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def test_a_scheduled_monitor_on_served_traffic_retrains_and_the_running_server_swaps(
    server: tuple[subprocess.Popen[str], str], webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    process, url = server
    hook, alerts = webhook
    X, y = load_wine(return_X_y=True, as_frame=True)
    _, X_live, _, y_live = train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)
    shifted = X_live.assign(proline=X_live["proline"] + 3 * X["proline"].std())
    session = requests.Session()
    labels = {}
    for i in range(len(shifted)):
        body = {"dataframe_records": shifted.iloc[[i]].to_dict("records")}
        answer = session.post(f"{url}/invocations", json=body, timeout=10)
        assert answer.status_code == 200 and answer.json()["model_version"] == 1
        labels[answer.headers["X-Request-Id"]] = int(y_live.iloc[i])
    store = current_store()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the server writes its log every second
        try:
            if len(logged_traffic(store, "serving:wine@production")) == len(shifted):
                break
        except mlops.MlopsUsageError:
            pass
        time.sleep(0.2)
    assert mlops.monitor.log_labels("serving:wine@production", labels) == len(shifted)

    added = _cli(
        "schedule", "add", "wine-traffic-drift",
        "--notebook", "serving/drift_on_traffic.ipynb", "--cron", "0 * * * *",
        "-p", "name=wine", "-p", "window=1h", "--monitor-webhook", hook,
        "--trigger-pipeline", "serving/retrain.yaml", "--drift-threshold", "0.05",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr

    # Once the monitor has read the traffic and alerted, requests keep coming while the
    # retrain runs, promotes, and the server swaps (sent earlier, they would be in the window).
    answered: list[int] = []
    failed: list[str] = []
    stop = threading.Event()

    def keep_asking() -> None:
        client = requests.Session()
        body = {"dataframe_records": X_live[:1].to_dict("records")}
        while not stop.is_set():
            reply = client.post(f"{url}/invocations", json=body, timeout=10)
            if reply.status_code != 200:
                failed.append(reply.text)
            else:
                answered.append(reply.json()["model_version"])
            time.sleep(0.02)

    run_now = _start_cli("schedule", "run-now", "wine-traffic-drift")
    traffic = threading.Thread(target=keep_asking)
    try:
        while not alerts and run_now.poll() is None:
            time.sleep(0.05)
        traffic.start()
        out, err = run_now.communicate(timeout=600)
        assert run_now.returncode == 0, err
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not answered or answered[-1] != 2):
            time.sleep(0.1)
    finally:
        stop.set()
        if traffic.is_alive():
            traffic.join(20)
        if run_now.poll() is None:
            run_now.kill()
            run_now.communicate()

    # The monitor ran on the served traffic, alerted and triggered the retrain.
    assert "finished" in out
    (alert,) = alerts
    assert alert["monitor"] == "wine-traffic-drift" and "proline" in alert["drifted_columns"]
    (tick,) = mlops.scheduler.runs("wine-traffic-drift")
    assert tick.run_id is not None
    tags = mlops.get_run(tick.run_id).tags
    if tags["mlops.trigger.status"] != "ok":  # say why the retrain failed, step by step
        detail = pipelines.get_run(store, tags["mlops.trigger.pipeline_run_id"], root=Path.cwd())
        pytest.fail(
            f"retrain failed: {tags.get('mlops.trigger.error')}: "
            + "; ".join(f"{s.step} {s.status}: {s.error}" for s in detail.step_runs)
        )
    assert json.loads(tags["drift.drifted_columns"]) == ["proline"]
    # The retrained version holds production, promoted behind its check.
    production = mlops.models.get("models:/wine@production")
    assert production.version == 2
    (event,) = [e for e in mlops.models.events("wine") if e.to_version == 2]
    assert event.outcome == "promoted"
    assert [(c.expression, c.passed) for c in event.checks] == [("metrics.accuracy >= 0.8", True)]
    # The same process (never restarted) swapped while answering: no request failed.
    assert process.poll() is None
    assert failed == []
    assert answered[0] == 1 and answered[-1] == 2
    assert answered == sorted(answered)  # once swapped, never back
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    served = logged_traffic(store, "serving:wine@production")
    assert set(served["mlops.version"]) == {1, 2}
    assert pd.api.types.is_numeric_dtype(served["proline"])
