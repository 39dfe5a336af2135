"""Steps on a real Dask cluster: a LocalCluster of two worker processes on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import distributed
import nbformat
import pytest

from jupyter_mlops.pipelines.execute import StepRequest, StepResult
from jupyter_mlops.pipelines.executors import DaskExecutor, make_executor


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


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    import dask

    # A worker lost during a step fails it at once instead of being retried elsewhere.
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",  # a free port: 8787 may be taken
        ) as local,
    ):
        yield str(local.scheduler_address)


def test_steps_run_on_workers_and_results_come_back(cluster: str, tmp_path: Path) -> None:
    source = build_notebook(tmp_path / "s.ipynb", ["# parameters\nx = 1", "print(x * 2)", "1/0"])
    host_port = cluster.removeprefix("tcp://")
    executor = make_executor(f"dask://{host_port}", jobs=2)
    assert isinstance(executor, DaskExecutor)
    try:
        executor.prepare(1)
        request = StepRequest("s", source, tmp_path / "out.ipynb", {"x": 21}, tmp_path)
        result = executor.submit(request).result(timeout=120)
    finally:
        executor.close()
    assert isinstance(result, StepResult)
    assert not result.ok
    assert result.error is not None
    assert (result.error.ename, result.error.cell_index) == ("ZeroDivisionError", 3)
    out = nbformat.read(result.output, as_version=4)
    printed = [c for c in out.cells if c.cell_type == "code"][2].outputs[0].text
    assert printed.strip() == "42"


def test_a_worker_killed_during_a_step_fails_the_future(cluster: str, tmp_path: Path) -> None:
    # The step kills the worker that launched its kernel (the kernel's parent is the
    # worker's fork server).
    kill = "import os, signal\nos.kill(int(os.environ['JPY_PARENT_PID']), signal.SIGKILL)"
    source = build_notebook(tmp_path / "k.ipynb", [kill])
    executor = make_executor(f"dask://{cluster.removeprefix('tcp://')}")
    try:
        future = executor.submit(StepRequest("k", source, tmp_path / "k.out.ipynb", {}, tmp_path))
        with pytest.raises(Exception) as info:
            future.result(timeout=120)
    finally:
        executor.close()
    assert type(info.value).__name__ == "KilledWorker"
