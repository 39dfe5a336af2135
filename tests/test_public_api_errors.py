"""Bad input to the public Python API raises an MlopsError in one clear line (issue 15 item 16).

Never a bare ``TypeError``/``AttributeError`` from inside, a driver's ``DatabaseError`` or an
``OSError``: third-party errors are translated where they enter (the store, the object
store, the checkout's destination), with the original as ``__cause__``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

import jupyter_mlops as mlops
from jupyter_mlops.errors import MlopsError, MlopsUsageError, StoreError
from jupyter_mlops.store import reset_current_store

NOTEBOOK = "job.ipynb"

CALLS: dict[str, Callable[[], Any]] = {
    "search_runs(123)": lambda: mlops.search_runs(123),  # type: ignore[arg-type]
    "search_runs(experiments=5)": lambda: mlops.search_runs(experiments=5),  # type: ignore[arg-type]
    "search_runs(order_by=5)": lambda: mlops.search_runs(order_by=5),  # type: ignore[arg-type]
    "search_runs(limit='x')": lambda: mlops.search_runs(limit="x"),  # type: ignore[arg-type]
    "search_runs(offset=-1)": lambda: mlops.search_runs(offset=-1),
    "search_runs('((')": lambda: mlops.search_runs("(("),
    "get_run(123)": lambda: mlops.get_run(123),  # type: ignore[arg-type]
    "get_run('nope')": lambda: mlops.get_run("nope"),
    "get_metric_history(5, 'a')": lambda: mlops.get_metric_history(5, "a"),  # type: ignore[arg-type]
    "start_run(5)": lambda: mlops.start_run(5),  # type: ignore[arg-type]
    "start_run(experiment=5)": lambda: mlops.start_run("x", experiment=5),  # type: ignore[arg-type]
    "log_artifact(123)": lambda: _in_run(lambda run: run.log_artifact(123)),
    "log_artifact(missing)": lambda: _in_run(lambda run: run.log_artifact("/no/such/file")),
    "log_metric('auc', 'high')": lambda: _in_run(lambda run: run.log_metric("auc", "high")),
    "data.add(missing)": lambda: mlops.data.add("/no/such.csv"),
    "data.add(123)": lambda: mlops.data.add(123),
    "data.get(123)": lambda: mlops.data.get(123),
    "data.get('d@x')": lambda: mlops.data.get("d@x"),
    "data.checkout('d', 123)": lambda: mlops.data.checkout("d", 123),  # type: ignore[arg-type]
    "data.checkout into a file": lambda: mlops.data.checkout("d", "d.csv/inside/copy.csv"),
    "data.diff(1, 2)": lambda: mlops.data.diff(1, 2),
    "models.register(5, 'm')": lambda: mlops.models.register(5, "m"),
    "models.get(5)": lambda: mlops.models.get(5),
    "models.load(5)": lambda: mlops.models.load(5),
    "models.promote(5, 5)": lambda: mlops.models.promote(5, 5),
    "models.history(5)": lambda: mlops.models.history(5),
    "monitor.drift(5, 5)": lambda: mlops.monitor.drift(5, 5),
    "monitor.history(5)": lambda: mlops.monitor.history(5),
    "scheduler.add(never fires)": lambda: mlops.scheduler.add(
        "never", notebook=NOTEBOOK, cron="0 0 31 2 *"
    ),
    "scheduler.get(5)": lambda: mlops.scheduler.get(5),
    "scheduler.history(5)": lambda: mlops.scheduler.history(5),
    "lineage(5)": lambda: mlops.lineage(5),
    "pipelines.load(5)": lambda: mlops.pipelines.load(5),  # type: ignore[arg-type]
    "pipelines.status(5)": lambda: mlops.pipelines.status(5),  # type: ignore[arg-type]
}


def _in_run(act: Callable[[Any], Any]) -> None:
    with mlops.start_run("bad-input", experiment="errors") as run:
        act(run)


@pytest.fixture
def project(store_dir: Path) -> Path:
    with mlops.start_run("ok", experiment="e") as run:
        run.log_metric("auc", 0.9)
    (store_dir / "d.csv").write_text("a\n1\n")
    mlops.data.add("d.csv", "d")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(notebook, store_dir / NOTEBOOK)
    return store_dir


@pytest.mark.parametrize("call", list(CALLS))
def test_bad_input_raises_one_clear_mlops_error(project: Path, call: str) -> None:
    with pytest.raises(MlopsError) as caught:
        CALLS[call]()
    message = str(caught.value)
    assert message.strip()
    assert "\n" not in message, message
    assert "Traceback" not in message
    assert mlops.active_run() is None


def test_a_store_that_is_not_a_database_is_a_store_error_with_its_cause(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = store_dir / "broken.db"
    broken.write_bytes(b"this is not a database, but a text file " * 200)
    monkeypatch.setenv("MLOPS_STORE_URI", f"sqlite:///{broken}")
    reset_current_store()
    with pytest.raises(StoreError) as caught:
        mlops.search_runs()
    assert "not a database" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert type(caught.value.__cause__).__module__.startswith("sqlalchemy")


def test_a_missing_artifact_source_is_a_usage_error_naming_it(store_dir: Path) -> None:
    with (
        mlops.start_run("r", experiment="e") as run,
        pytest.raises(MlopsUsageError, match=r"nothing-here\.bin"),
    ):
        run.log_artifact(store_dir / "nothing-here.bin")


def test_a_checkout_that_cannot_be_written_writes_nothing_and_says_where(
    project: Path,
) -> None:
    with pytest.raises(MlopsUsageError, match="Cannot write the checkout") as caught:
        mlops.data.checkout("d", project / "d.csv" / "inside" / "copy.csv")
    assert isinstance(caught.value.__cause__, OSError)
    assert (project / "d.csv").read_text() == "a\n1\n"
