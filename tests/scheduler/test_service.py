from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_mlops import scheduler
from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.store import Store

from .conftest import T0, Clock


def test_add_and_list(store: Store, make_notebook, clock: Clock) -> None:
    make_notebook("daily.ipynb")
    sched = scheduler.add(
        "daily", notebook="daily.ipynb", cron="0 6 * * *", params={"x": 2}, store=store, now=clock
    )
    assert sched.target_kind == "notebook"
    assert sched.target == "daily.ipynb"
    assert sched.params == {"x": 2}
    assert sched.next_due == T0 + 20 * 3600  # 06:00 the next day
    assert sched.enabled and sched.coalesce and sched.monitor is None
    assert [s.name for s in scheduler.list_schedules(store=store)] == ["daily"]


def test_pause_resume_remove(store: Store, make_notebook, clock: Clock) -> None:
    make_notebook("a.ipynb")
    scheduler.add("a", notebook="a.ipynb", cron="*/5 * * * *", store=store, now=clock)
    assert not scheduler.pause("a", store=store, now=clock).enabled
    clock.advance(3600)
    resumed = scheduler.resume("a", store=store, now=clock)
    assert resumed.enabled and resumed.next_due == clock() + 300  # no catch-up after a pause
    scheduler.remove("a", store=store)
    assert scheduler.list_schedules(store=store) == []


def test_monitor_definition(store: Store, make_notebook, tmp_path: Path) -> None:
    make_notebook("m.ipynb")
    (tmp_path / "pipeline.yaml").write_text("name: p\nsteps:\n  m: {notebook: m.ipynb}\n")
    sched = scheduler.add(
        "m",
        notebook="m.ipynb",
        cron="0 * * * *",
        monitor_webhook="http://127.0.0.1:9/hook",
        trigger_pipeline="pipeline.yaml",
        drift_threshold=0.3,
        store=store,
    )
    assert sched.monitor == {
        "name": "m",
        "alert": ["log", "http://127.0.0.1:9/hook"],
        "trigger": "pipeline.yaml",
        "trigger_env": None,
        "drift_threshold": 0.3,
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"cron": "0 6 * *", "notebook": "nb.ipynb"},
            "Invalid cron expression '0 6 * *': expected 5 fields (minute hour day-of-month "
            "month day-of-week), like '0 6 * * *'.",
        ),
        (
            {"cron": "0 6 * * *", "notebook": "nb.ipynb", "timezone": "Mars/Base"},
            "Unknown timezone 'Mars/Base'; use an IANA name such as 'UTC' or 'Europe/Paris'.",
        ),
        (
            {"cron": "0 6 * * *"},
            "Give exactly one of --notebook NOTEBOOK or --pipeline SPEC.",
        ),
        (
            {"cron": "0 6 * * *", "notebook": "nb.ipynb", "pipeline": "p.yaml"},
            "Give exactly one of --notebook NOTEBOOK or --pipeline SPEC.",
        ),
        (
            {"cron": "0 6 * * *", "notebook": "missing.ipynb"},
            "No notebook file 'missing.ipynb'; check the path.",
        ),
        (
            {"cron": "0 6 * * *", "pipeline": "missing.yaml"},
            "No pipeline file 'missing.yaml'; check the path.",
        ),
        (
            {"cron": "0 6 * * *", "notebook": "nb.ipynb", "trigger_pipeline": "nope.yaml"},
            "No pipeline file 'nope.yaml'; check the path.",
        ),
        (
            {"cron": "0 6 * * *", "notebook": "nb.ipynb", "drift_threshold": 2.0},
            "--drift-threshold is a share of drifted columns in [0, 1], not 2.0.",
        ),
        (
            {"cron": "0 6 * * *", "notebook": "nb.ipynb", "monitor_webhook": "ftp://x"},
            "A webhook is an http:// or https:// URL, not 'ftp://x'.",
        ),
    ],
)
def test_add_refuses_bad_input(store: Store, make_notebook, kwargs, message: str) -> None:
    make_notebook("nb.ipynb")
    with pytest.raises(MlopsUsageError) as info:
        scheduler.add("s", store=store, **kwargs)
    assert str(info.value) == message
    assert scheduler.list_schedules(store=store) == []


def test_bad_and_duplicate_names(store: Store, make_notebook) -> None:
    make_notebook("nb.ipynb")
    with pytest.raises(MlopsUsageError, match=r"Invalid schedule name '\.\./x'"):
        scheduler.add("../x", notebook="nb.ipynb", cron="0 6 * * *", store=store)
    scheduler.add("s", notebook="nb.ipynb", cron="0 6 * * *", store=store)
    with pytest.raises(MlopsUsageError, match="A schedule named 's' exists"):
        scheduler.add("s", notebook="nb.ipynb", cron="0 6 * * *", store=store)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: scheduler.get("nope", store=s),
        lambda s: scheduler.pause("nope", store=s),
        lambda s: scheduler.resume("nope", store=s),
        lambda s: scheduler.remove("nope", store=s),
        lambda s: scheduler.run_now("nope", store=s),
        lambda s: scheduler.history("nope", store=s),
        lambda s: scheduler.export("nope", store=s),
    ],
)
def test_unknown_schedule(store: Store, make_notebook, call) -> None:
    make_notebook("nb.ipynb")
    scheduler.add("known", notebook="nb.ipynb", cron="0 6 * * *", store=store)
    with pytest.raises(NotFoundError) as info:
        call(store)
    assert str(info.value) == "No schedule named 'nope'; schedules: known."
