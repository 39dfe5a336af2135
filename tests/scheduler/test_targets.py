"""A schedule's target is checked as ``jupyter-mlops run`` checks it: when it is added (nothing
is written when refused) and again at each tick (a tick whose files changed fails, saying why).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from jupyter_mlops import scheduler
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.scheduler import Scheduler
from jupyter_mlops.store import Store

from .conftest import Clock

PIPELINE = "name: p\nsteps:\n  train: {notebook: train.ipynb}\nenvironments:\n  dev: {}\n"
CYCLE = (
    "name: loop\nsteps:\n  a: {notebook: train.ipynb, needs: [b]}\n"
    "  b: {notebook: train.ipynb, needs: [a]}\n"
)


@pytest.fixture
def project(store_dir: Path, make_notebook: Callable[..., Path]) -> Path:
    """train.ipynb (C = 1.0, label = 'x'), pipeline.yaml (env dev) and cyclic.yaml."""
    make_notebook("train.ipynb", params="C = 1.0\nlabel = 'x'")
    (store_dir / "pipeline.yaml").write_text(PIPELINE)
    (store_dir / "cyclic.yaml").write_text(CYCLE)
    return store_dir


REFUSED = [
    ({"pipeline": "cyclic.yaml"}, "key 'needs': cycle a -> b -> a"),
    ({"pipeline": "pipeline.yaml", "env": "nope"}, "unknown environment 'nope'"),
    ({"notebook": "train.ipynb", "params": {"C": "abc"}}, "'abc' is not a float"),
    ({"notebook": "train.ipynb", "params": {"C": True}}, "True is not a float"),
    ({"notebook": "train.ipynb", "params": {"D": "1"}}, "unknown parameter 'D' (-p)"),
    ({"pipeline": "pipeline.yaml", "params": {"train.C": "x"}}, "'x' is not a float"),
    ({"pipeline": "pipeline.yaml", "params": {"C": "1"}}, "expected STEP.KEY=VALUE"),
    ({"notebook": "train.ipynb", "trigger_pipeline": "cyclic.yaml"}, "cycle a -> b -> a"),
    (
        {"notebook": "train.ipynb", "trigger_pipeline": "pipeline.yaml", "trigger_env": "prod"},
        "unknown environment 'prod'",
    ),
    ({"notebook": "/etc/passwd"}, "The notebook '/etc/passwd' is outside the project"),
    ({"notebook": "../x.ipynb"}, "The notebook '../x.ipynb' is outside the project"),
    ({"notebook": "train.ipynb", "env": "dev"}, "unknown environment 'dev'"),
    ({"notebook": "train.ipynb", "cron": "0 0 31 2 *"}, "'0 0 31 2 *': it never fires"),
    ({"notebook": "train.ipynb", "cron": "0 0 30 2 *"}, "'0 0 30 2 *': it never fires"),
]


@pytest.mark.parametrize(("given", "words"), REFUSED)
def test_add_refuses_what_run_refuses_and_writes_nothing(
    store: Store, project: Path, given: dict[str, object], words: str
) -> None:
    options: dict[str, object] = {"cron": "0 6 * * *", **given}
    with pytest.raises(MlopsUsageError) as info:
        scheduler.add("s", store=store, **options)  # type: ignore[arg-type]
    assert words in str(info.value)
    assert "\n" not in str(info.value)
    assert scheduler.list_schedules(store=store) == []


def test_params_are_typed_by_the_notebooks_defaults(store: Store, make_notebook) -> None:
    make_notebook("typed.ipynb", params="flag = False\nlabel = 'x'\nC = 1.0\nanything = None")
    given = {"flag": "true", "label": "true", "C": "1", "anything": "true"}
    sched = scheduler.add("t", notebook="typed.ipynb", cron="0 6 * * *", params=given, store=store)
    assert sched.params == {"flag": True, "label": "true", "C": 1.0, "anything": True}
    python = {"flag": "True", "label": "True", "C": 1, "anything": "None"}
    sched = scheduler.add("u", notebook="typed.ipynb", cron="0 6 * * *", params=python, store=store)
    assert sched.params == {"flag": True, "label": "True", "C": 1.0, "anything": None}


def test_pipeline_params_are_typed_by_their_steps_notebook(store: Store, project: Path) -> None:
    sched = scheduler.add(
        "p", pipeline="pipeline.yaml", cron="0 6 * * *", params={"train.C": "2"}, store=store
    )
    assert sched.params == {"train.C": 2.0}
    text = scheduler.export("p", store=store)
    assert "jupyter-mlops run pipeline.yaml -p train.C=2.0\n" in text


def _tick(store: Store, clock: Clock) -> scheduler.ScheduleRun:
    clock.advance(3600)
    (done,) = Scheduler(store, now=clock).tick()
    return done


def _cycle(root: Path) -> None:
    (root / "pipeline.yaml").write_text(CYCLE)


def _drop_env(root: Path) -> None:
    (root / "pipeline.yaml").write_text("name: p\nsteps:\n  train: {notebook: train.ipynb}\n")


EDITS = [
    ("cycle", {"pipeline": "pipeline.yaml"}, _cycle, "cycle a -> b -> a"),
    ("env", {"pipeline": "pipeline.yaml", "env": "dev"}, _drop_env, "unknown environment 'dev'"),
    (
        "trigger",
        {"notebook": "train.ipynb", "trigger_pipeline": "pipeline.yaml"},
        _cycle,
        "cycle a -> b -> a",
    ),
]


@pytest.mark.parametrize(("case", "given", "edit", "words"), EDITS, ids=[e[0] for e in EDITS])
def test_a_tick_fails_when_its_spec_changed(
    store: Store, project: Path, clock: Clock, case: str, given, edit, words: str
) -> None:
    scheduler.add("s", cron="0 * * * *", store=store, now=clock, **given)
    edit(project)
    done = _tick(store, clock)
    assert done.status == "failed"
    assert done.error is not None and done.error.startswith("not run: ")
    assert words in done.error
    assert (done.run_id, done.pipeline_run_id) == (None, None)  # nothing was started


@pytest.mark.parametrize(
    ("params", "before", "after", "words"),
    [
        ({"C": "abc"}, "C = 'x'", "C = 1.0", "'abc' is not a float"),
        ({"C": "0.5"}, "C = 1.0", "D = 1", "unknown parameter 'C' (-p)"),
    ],
    ids=["type", "unknown"],
)
def test_a_tick_fails_when_its_notebooks_parameters_changed(
    store: Store, make_notebook, clock: Clock, params, before: str, after: str, words: str
) -> None:
    make_notebook("nb.ipynb", params=before)
    scheduler.add("s", notebook="nb.ipynb", cron="0 * * * *", params=params, store=store, now=clock)
    make_notebook("nb.ipynb", params=after)
    done = _tick(store, clock)
    assert (done.status, done.run_id) == ("failed", None)
    assert done.error is not None and words in done.error


def test_a_tick_fails_when_its_notebook_now_leads_outside_the_project(
    store: Store, make_notebook, clock: Clock, tmp_path_factory: pytest.TempPathFactory
) -> None:
    inside = make_notebook("nb.ipynb")
    scheduler.add("s", notebook="nb.ipynb", cron="0 * * * *", store=store, now=clock)
    outside = tmp_path_factory.mktemp("elsewhere") / "nb.ipynb"
    shutil.move(inside, outside)
    inside.symlink_to(outside)
    done = _tick(store, clock)
    assert (done.status, done.run_id) == ("failed", None)
    assert done.error == (
        "not run: The notebook 'nb.ipynb' is outside the project; a schedule runs files of "
        "its project (give a path inside it)."
    )
