from __future__ import annotations

import logging
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

import jupyter_mlops as mlops
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.lineage import lineage
from jupyter_mlops.monitor import drift
from jupyter_mlops.monitor.act import act, summarize

from .test_alerts import hook  # noqa: F401 - the local webhook fixture


def _frames(shift: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
    cur = pd.DataFrame({"a": rng.normal(shift, size=500), "b": rng.normal(size=500)})
    return ref, cur


def test_summarize_a_drift_report(store_dir: Path) -> None:
    ref, cur = _frames(2.0)
    report = drift(ref, cur, log=False)
    summary = summarize(report, name="m", run_id="r1")
    assert summary["monitor"] == "m" and summary["run_id"] == "r1"
    assert summary["dataset_drift"] is True
    assert summary["share"] == 0.5
    assert summary["drifted_columns"] == ["a"]
    assert summary["timestamp"].endswith("+00:00")


def test_summarize_refuses_other_things() -> None:
    with pytest.raises(MlopsUsageError, match="act\\(\\) needs a drift report"):
        summarize(object(), name="m", run_id=None)


def test_no_drift_no_alert(store_dir: Path, hook) -> None:  # noqa: F811
    url, state = hook
    with mlops.start_run() as run:
        result = act({"dataset_drift": False, "share": 0.1}, name="m", alert=["log", url])
    assert not result.drift and result.alerts == [] and result.ok
    assert state.bodies == []
    tags = mlops.get_run(run.id).tags
    assert tags["mlops.monitor"] == "m" and tags["mlops.monitor.drift"] == "false"


def test_drift_alerts_log_and_webhook(store_dir: Path, hook, caplog) -> None:  # noqa: F811
    url, state = hook
    with caplog.at_level(logging.WARNING, logger="jupyter_mlops.monitor"), mlops.start_run() as run:
        result = act({"dataset_drift": True, "share": 0.6}, name="m", alert=["log", url])
    assert result.drift and result.ok
    assert [a.target for a in result.alerts] == ["log", url]
    assert state.bodies[0]["run_id"] == run.id and state.bodies[0]["share"] == 0.6
    assert "monitor m: drift found" in caplog.text
    tags = mlops.get_run(run.id).tags
    assert tags["mlops.alert.1"] == f"{url}: ok HTTP 200"


def test_threshold_overrides_the_verdict(store_dir: Path) -> None:
    assert act({"dataset_drift": False, "share": 0.4}, name="m", threshold=0.3).drift
    assert not act({"dataset_drift": True, "share": 0.2}, name="m", threshold=0.3).drift


def test_a_dead_webhook_is_recorded_not_raised(store_dir: Path) -> None:
    with mlops.start_run() as run:
        result = act(
            {"dataset_drift": True, "share": 1.0},
            name="m",
            alert=["http://127.0.0.1:9/none"],
            timeout=1,
        )
    assert not result.ok
    assert mlops.get_run(run.id).tags["mlops.alert.0"].startswith("http://127.0.0.1:9/none: failed")


def test_a_missing_trigger_spec_is_recorded(store_dir: Path) -> None:
    with mlops.start_run() as run:
        result = act({"dataset_drift": True, "share": 1.0}, name="m", trigger="nope.yaml")
    assert (result.trigger_status, result.trigger_error) == (
        "failed",
        "no pipeline spec 'nope.yaml'",
    )
    assert mlops.get_run(run.id).tags["mlops.trigger.error"] == "no pipeline spec 'nope.yaml'"


def _retrain_pipeline(root: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells.append(nbformat.v4.new_code_cell("C = 1.0", metadata={"tags": ["parameters"]}))
    nb.cells.append(
        nbformat.v4.new_code_cell("import jupyter_mlops as mlops\nmlops.log_metric('retrained', 1)")
    )
    nbformat.write(nb, root / "train.ipynb")
    spec = root / "pipeline.yaml"
    spec.write_text("name: retrain\nsteps:\n  train: {notebook: train.ipynb}\n")
    return spec


def test_drift_triggers_a_pipeline_run_linked_in_lineage(store_dir: Path) -> None:
    spec = _retrain_pipeline(store_dir)
    with mlops.start_run() as run:
        result = act({"dataset_drift": True, "share": 1.0}, name="m", trigger=str(spec))
    assert result.trigger_status == "ok", result.trigger_error
    assert result.pipeline_run_id
    tags = mlops.get_run(run.id).tags
    assert tags["mlops.trigger.pipeline_run_id"] == result.pipeline_run_id
    graph = lineage(run.id)
    node = graph.nodes[f"pipeline_run:{result.pipeline_run_id}"]
    assert node.kind == "pipeline_run" and node.attrs["trigger"] == "monitor"
    assert any(e.source == f"run:{run.id}" and e.relation == "triggered" for e in graph.edges)
