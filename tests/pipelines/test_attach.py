"""A step's kernel tracks every cell into the step's existing run and leaves it open."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from sqlalchemy import select
from traitlets.config import Config

import jupyter_mlops as mlops
from jupyter_mlops.config import load_config
from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.pipelines.attach import attach, detach, open_run
from jupyter_mlops.pipelines.execute import StepRequest, execute_step
from jupyter_mlops.pipelines.kernel_env import WARMUP
from jupyter_mlops.pipelines.kernels import start_kernel
from jupyter_mlops.store import current_store
from jupyter_mlops.store import tables as t
from jupyter_mlops.tracking import fluent
from jupyter_mlops.tracking.notebook import NotebookSession


def build_notebook(path: Path, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    for source in cells:
        cell = nbformat.v4.new_code_cell(source)
        if source.startswith("# parameters"):
            cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_open_run_refuses_missing_and_ended_runs(store_dir: Path) -> None:
    store = current_store()
    with pytest.raises(NotFoundError):
        open_run(store, "0" * 32)
    run = mlops.start_run("done")
    run.end()
    with pytest.raises(MlopsUsageError, match="has ended"):
        open_run(store, run.id)
    reopened = mlops.start_run("open")
    try:
        writer = open_run(store, reopened.id)
        assert (writer.id, writer.name, writer.experiment) == (
            reopened.id,
            "open",
            reopened.experiment,
        )
        writer.log_metric("m", 1.0)
        writer.flush()
        assert mlops.get_run(reopened.id).metrics == {"m": 1.0}
    finally:
        reopened.end()


def test_attach_loads_the_extension_and_detach_leaves_the_run_open(store_dir: Path) -> None:
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    step_run = mlops.start_run("step", experiment="pipe")
    try:
        assert NotebookSession.of(shell) is None
        attached = attach(step_run.id, shell=shell)
        assert NotebookSession.of(shell) is not None
        assert "mlops" in shell.magics_manager.magics["line"]  # the step can use %mlops
        assert fluent.active_run() is attached
        shell.run_cell("x = 1")
        assert detach(shell=shell) is attached
        assert fluent.active_run() is step_run
        assert detach(shell=shell) is None  # nothing attached any more
        record = mlops.get_run(step_run.id)
        assert record.status == "running"
        assert [c.source for c in record.cells] == ["x = 1"]
    finally:
        step_run.end()
        shell.run_cell("%unload_ext jupyter_mlops")
        InteractiveShell.clear_instance()


def test_cells_are_tracked_into_the_given_run_which_stays_open(store_dir: Path) -> None:
    config = load_config()
    step_run = mlops.start_run("step-train", experiment="pipe")
    notebook = build_notebook(
        store_dir / "train.ipynb",
        [
            "# parameters\nC = 1.0",
            "import jupyter_mlops as mlops\nmlops.log_metric('acc', 0.75 + C / 100)",
            "%%mlops track inner --no-autolog\nmlops.log_param('inner_param', 3)",
            "%mlops track\nmlops.log_param('after', C)",
        ],
    )
    request = StepRequest(
        "train",
        notebook,
        store_dir / "out" / "train.ipynb",
        {"C": 5.0},
        store_dir,
        env={
            "MLOPS_RUN_ID": step_run.id,
            "MLOPS_STEP": "train",
            "MLOPS_STORE_URI": config.store_uri,
            "MLOPS_ARTIFACTS_URI": config.artifacts_uri,
        },
    )
    # A pooled kernel: started with a neutral environment, warmed up, then bootstrapped.
    kernel = start_kernel("python3", warmup=WARMUP)
    try:
        result = execute_step(request, kernel=kernel)
        assert result.ok, result.error
        print(
            "cells",
            [
                round(c.metadata.papermill.duration, 3)
                for c in nbformat.read(request.output, as_version=4).cells
            ],
        )
        record = mlops.get_run(step_run.id)
        assert record.status == "running"  # the runner ends it, not the kernel
        assert record.metrics == {"acc": 0.8}
        assert record.params["after"] == "5.0"
        assert len(record.cells) == 5  # every notebook cell (injected params too), no hidden code
        assert not any("_mlops_os" in c.source or "attach" in c.source for c in record.cells)
        with current_store().read() as conn:
            children = conn.execute(
                select(t.runs.c.id, t.runs.c.status).where(t.runs.c.parent_id == step_run.id)
            ).all()
        assert len(children) == 1
        child = mlops.get_run(children[0].id)
        assert (child.name, child.status, child.params) == (
            "inner",
            "finished",
            {"inner_param": "3", "C": "5.0"},
        )
    finally:
        step_run.end()
