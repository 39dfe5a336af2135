"""The scheduler loop with real notebooks in real kernels, on a hand-moved clock."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import jupyter_mlops as mlops
from jupyter_mlops import scheduler
from jupyter_mlops.scheduler import Scheduler
from jupyter_mlops.store import Store

from .conftest import Clock


def test_a_due_notebook_runs_and_is_recorded(store: Store, make_notebook, clock: Clock) -> None:
    make_notebook(
        "daily.ipynb",
        "import jupyter_mlops as mlops\nmlops.log_metric('x_seen', x)",
    )
    scheduler.add(
        "daily", notebook="daily.ipynb", cron="0 * * * *", params={"x": 7}, store=store, now=clock
    )
    sched = Scheduler(store, now=clock)
    assert sched.tick() == []
    clock.advance(3600)
    (done,) = sched.tick()
    assert done.status == "finished", done.error
    assert done.output_notebook is not None
    out = Path(done.output_notebook)
    assert out.is_file()
    assert out.parent == store_root(store) / "mlops-runs" / "schedules" / "daily"
    assert (out.parents[2] / ".gitignore").read_text().endswith("*\n")  # kept out of git
    run = mlops.get_run(done.run_id, store=store)
    assert run.status == "finished"
    assert run.metrics["x_seen"] == 7.0
    assert run.params["x"] == "7"
    assert run.tags["mlops.schedule"] == "daily"
    # The run's notebook link opens what ran (outputs included), not the source notebook.
    assert run.notebook_path is not None and Path(run.notebook_path) == out
    assert [a.path for a in run.artifacts if a.path.startswith("schedule/")] == [
        f"schedule/{out.name}"
    ]
    assert sched.tick() == []  # the tick ran once
    # Every tick's run is in the notebook's experiment, as a run of it in Jupyter would be.
    clock.advance(3600)
    (later,) = sched.tick()
    assert later.status == "finished", later.error
    assert {run.experiment, mlops.get_run(later.run_id, store=store).experiment} == {"daily"}


def store_root(store: Store) -> Path:
    return Path(store.config.root) if store.config else Path.cwd()


def test_a_failing_notebook_is_recorded_failed(store: Store, make_notebook, clock: Clock) -> None:
    make_notebook("bad.ipynb", "raise ValueError('boom')")
    scheduler.add("bad", notebook="bad.ipynb", cron="0 * * * *", store=store, now=clock)
    clock.advance(3600)
    (done,) = Scheduler(store, now=clock).tick()
    assert done.status == "failed"
    assert done.error == f"code cell 1 raised ValueError: boom; see {done.output_notebook}"
    assert Path(done.output_notebook).is_file()
    assert mlops.get_run(done.run_id, store=store).status == "failed"


def test_a_missing_notebook_fails_the_run_not_the_scheduler(
    store: Store, make_notebook, clock: Clock
) -> None:
    nb = make_notebook("gone.ipynb")
    scheduler.add("gone", notebook="gone.ipynb", cron="0 * * * *", store=store, now=clock)
    nb.unlink()
    clock.advance(3600)
    (done,) = Scheduler(store, now=clock).tick()
    assert (done.status, done.error) == ("failed", "the notebook 'gone.ipynb' is missing")


def test_run_now_and_history(store: Store, make_notebook, clock: Clock) -> None:
    make_notebook("n.ipynb", "y = x + 1")
    scheduler.add("n", notebook="n.ipynb", cron="0 6 * * *", store=store, now=clock)
    done = scheduler.run_now("n", store=store, now=clock)
    assert done.status == "finished", done.error
    frame = scheduler.history("n", store=store)
    assert list(frame["status"]) == ["finished"]
    assert frame["run_id"][0] == done.run_id


def test_run_forever_stops_on_the_event(store: Store, make_notebook) -> None:
    sched = Scheduler(store, poll=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=sched.run_forever, args=(stop,))
    thread.start()
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()


@pytest.mark.parametrize("coalesce", [True, False])
def test_catch_up_runs(store: Store, make_notebook, clock: Clock, coalesce: bool) -> None:
    make_notebook("c.ipynb")
    scheduler.add(
        "c", notebook="c.ipynb", cron="0 * * * *", coalesce=coalesce, store=store, now=clock
    )
    clock.advance(2 * 3600 + 60)
    done = Scheduler(store, now=clock).tick()
    assert [d.status for d in done] == ["finished"] * (1 if coalesce else 2)


def test_a_pipeline_schedule_records_its_pipeline_run(
    store: Store, make_notebook, clock: Clock, store_dir: Path
) -> None:
    make_notebook(
        "train.ipynb",
        "import jupyter_mlops as mlops\nmlops.log_metric('C_seen', C)",
        params="C = 1.0",
    )
    (store_dir / "pipeline.yaml").write_text("name: p\nsteps:\n  train: {notebook: train.ipynb}\n")
    scheduler.add(
        "nightly",
        pipeline="pipeline.yaml",
        cron="0 * * * *",
        params={"train.C": 0.5},
        store=store,
        now=clock,
    )
    clock.advance(3600)
    (done,) = Scheduler(store, now=clock).tick()
    assert done.status == "finished", done.error
    assert done.pipeline_run_id and done.run_id
    from sqlalchemy import select

    from jupyter_mlops.store import tables as t

    with store.read() as conn:
        row = conn.execute(
            select(t.pipeline_runs).where(t.pipeline_runs.c.id == done.pipeline_run_id)
        ).one()
    assert (row.trigger, row.status, row.run_id) == ("schedule", "ok", done.run_id)
