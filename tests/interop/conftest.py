"""MLflow stores made with MLflow's own client, to import from."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

T0 = 1_700_000_000_000  # ms: MLflow's times are epoch milliseconds


@dataclass
class Source:
    """An MLflow store and what was logged into it."""

    uri: str
    parent: str
    child: str
    running: str
    artifacts: Path


def _client(uri: str):  # type: ignore[no-untyped-def]
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def build(uri: str, artifacts: Path) -> Source:
    """Experiment ``churn``: a finished parent with params, a 3-step history, tags and a file;
    a failed child; a run still RUNNING. Experiment ``extra``: one finished run."""
    c = _client(uri)
    exp = c.create_experiment("churn", artifact_location=artifacts.as_uri())
    parent = c.create_run(exp, run_name="baseline", start_time=T0, tags={"team": "risk"})
    pid = parent.info.run_id
    c.log_param(pid, "C", "0.5")
    c.log_param(pid, "path", r"C:\temp\x")
    for step in range(3):
        c.log_metric(pid, "auc", 0.5 + step / 10, timestamp=T0 + 1000 * step, step=step)
    c.log_metric(pid, "loss", float("nan"), timestamp=T0, step=0)
    note = artifacts.parent / "notes.txt"
    note.write_text("hello from mlflow")
    c.log_artifact(pid, str(note), artifact_path="reports")
    c.set_terminated(pid, "FINISHED", end_time=T0 + 60_000)
    child = c.create_run(
        exp, run_name="fold-1", start_time=T0 + 1000, tags={"mlflow.parentRunId": pid}
    )
    c.log_metric(child.info.run_id, "auc", 0.7, timestamp=T0 + 2000, step=0)
    c.set_terminated(child.info.run_id, "FAILED", end_time=T0 + 5000)
    running = c.create_run(exp, run_name="still-going", start_time=T0 + 9000)
    other = c.create_experiment("extra", artifact_location=artifacts.as_uri())
    extra = c.create_run(other, run_name="solo", start_time=T0)
    c.set_terminated(extra.info.run_id, "FINISHED", end_time=T0 + 1000)
    return Source(uri, pid, child.info.run_id, running.info.run_id, artifacts)


@pytest.fixture
def make_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Source]:
    """``make("sqlite")`` or ``make("file")``: a fresh MLflow store (its own folder)."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    made = 0

    def make(kind: str) -> Source:
        nonlocal made
        made += 1
        root = tmp_path / f"mlflow-{kind}-{made}"
        root.mkdir()
        db = f"sqlite:///{root / 'mlflow.db'}"
        uri = db if kind == "sqlite" else f"file:{root / 'mlruns'}"
        return build(uri, root / "artifacts")

    return make


@pytest.fixture
def mlflow_client() -> Callable[[str], object]:
    """MLflow's own client on a URI (to change a source after an import)."""
    return _client


os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
