"""A scheduled monitoring notebook: drift found → webhook alert and a triggered retrain."""

from __future__ import annotations

from pathlib import Path

import nbformat
from monitor.test_alerts import hook  # noqa: F401 - the local webhook fixture (tests/monitor)
from sqlalchemy import select

import jupyter_mlops as mlops
from jupyter_mlops import scheduler
from jupyter_mlops.lineage import lineage
from jupyter_mlops.monitor.history import history
from jupyter_mlops.scheduler import Scheduler
from jupyter_mlops.store import tables as t

from .conftest import Clock

DRIFT = """
import numpy as np, pandas as pd
import jupyter_mlops.monitor as monitor
rng = np.random.default_rng(0)
ref = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
cur = pd.DataFrame({"a": rng.normal(shift, size=400), "b": rng.normal(size=400)})
report = monitor.drift(ref, cur)
"""


def _pipeline(root: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells.append(nbformat.v4.new_code_cell("C = 1.0", metadata={"tags": ["parameters"]}))
    nbformat.write(nb, root / "train.ipynb")
    (root / "pipeline.yaml").write_text("name: retrain\nsteps:\n  train: {notebook: train.ipynb}\n")


def test_drift_alerts_and_triggers(store, make_notebook, clock: Clock, hook, store_dir) -> None:  # noqa: F811
    url, state = hook
    _pipeline(store_dir)
    make_notebook("monitor.ipynb", DRIFT, params="shift = 0.0")
    scheduler.add(
        "drift",
        notebook="monitor.ipynb",
        cron="0 * * * *",
        params={"shift": 2.0},
        monitor_webhook=url,
        trigger_pipeline="pipeline.yaml",
        store=store,
        now=clock,
    )
    clock.advance(3600)
    (done,) = Scheduler(store, now=clock).tick()
    assert done.status == "finished", done.error
    assert len(state.bodies) == 1
    body = state.bodies[0]
    assert (body["monitor"], body["run_id"], body["dataset_drift"]) == ("drift", done.run_id, True)
    assert body["share"] == 0.5
    assert body["drifted_columns"] == ["a"]
    run = mlops.get_run(done.run_id, store=store)
    assert run.tags["mlops.monitor"] == "drift"
    assert run.tags["mlops.trigger.status"] == "ok"
    pid = run.tags["mlops.trigger.pipeline_run_id"]
    with store.read() as conn:
        row = conn.execute(select(t.pipeline_runs).where(t.pipeline_runs.c.id == pid)).one()
    assert (row.trigger, row.trigger_run_id, row.status) == ("monitor", done.run_id, "ok")
    assert f"pipeline_run:{pid}" in lineage(done.run_id, store=store).nodes
    hist = history("drift", store=store)
    assert list(hist.frame["drift_share"]) == [0.5]


def test_no_drift_no_alert_and_a_dead_webhook_is_recorded(store, make_notebook, clock) -> None:
    make_notebook("monitor.ipynb", DRIFT, params="shift = 0.0")
    scheduler.add(
        "quiet",
        notebook="monitor.ipynb",
        cron="0 * * * *",
        monitor_webhook="http://127.0.0.1:9/dead",
        store=store,
        now=clock,
    )
    clock.advance(3600)
    (done,) = Scheduler(store, now=clock).tick()
    assert done.status == "finished" and done.error is None
    scheduler.remove("quiet", store=store)
    scheduler.add(
        "loud",
        notebook="monitor.ipynb",
        cron="0 * * * *",
        params={"shift": 3.0},
        monitor_webhook="http://127.0.0.1:9/dead",
        store=store,
        now=clock,
    )
    clock.advance(3600)
    (done,) = Scheduler(store, now=clock).tick()
    assert done.status == "finished"  # the run itself went fine
    assert done.error is not None and done.error.startswith("monitor: http://127.0.0.1:9/dead: ")
