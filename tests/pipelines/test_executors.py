"""make_executor and the local executor: threads, a kernel pool, a fresh kernel per step."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.pipelines.execute import StepRequest
from jupyter_mlops.pipelines.executors import LocalExecutor, make_executor


def build_notebook(path: Path, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python", "language": "python"}
    nbformat.write(nb, path)
    return path


def step(tmp_path: Path, name: str, cells: list[str]) -> StepRequest:
    source = build_notebook(tmp_path / f"{name}.ipynb", cells)
    return StepRequest(name, source, tmp_path / "out" / f"{name}.ipynb", {}, tmp_path)


def printed(path: Path, index: int = -1) -> str:
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    return "".join(o.get("text", "") for o in cells[index].outputs if o.output_type == "stream")


@pytest.mark.parametrize(
    ("spec", "jobs", "message"),
    [
        ("threads", 1, "Unknown executor 'threads': use 'local' or 'dask://HOST:PORT'."),
        ("dask://", 1, "Bad executor 'dask://'"),
        ("dask://host", 1, "Bad executor 'dask://host'"),
        ("dask://host:port", 1, "Bad executor 'dask://host:port'"),
        ("local", 0, "--jobs must be 1 or more, not 0."),
    ],
)
def test_bad_specs_are_usage_errors(spec: str, jobs: int, message: str) -> None:
    with pytest.raises(MlopsUsageError) as info:
        make_executor(spec, jobs=jobs)
    assert str(info.value).startswith(message)


def test_local_is_a_local_executor() -> None:
    executor = make_executor("local", jobs=3)
    try:
        assert isinstance(executor, LocalExecutor)
        assert (executor.jobs, executor.pool_size) == (3, 6)
    finally:
        executor.close()


def test_each_step_gets_a_fresh_kernel(tmp_path: Path) -> None:
    first = step(tmp_path, "first", ["import os\nleaked = 1\nprint(os.getpid())"])
    second = step(tmp_path, "second", ["import os\nprint(os.getpid(), 'leaked' in globals())"])
    with make_executor("local", jobs=1) as executor:  # type: ignore[attr-defined]
        executor.prepare(2)
        assert executor.submit(first).result(timeout=120).ok
        assert executor.submit(second).result(timeout=120).ok
    pid_first = printed(first.output).split()[0]
    pid_second, leaked = printed(second.output).split()
    assert pid_first != pid_second
    assert leaked == "False"


def test_two_jobs_run_two_steps_at_once(tmp_path: Path) -> None:
    cells = ["import time\nstart = time.time()\ntime.sleep(1.0)\nprint(start, time.time())"]
    a, b = step(tmp_path, "a", cells), step(tmp_path, "b", cells)
    with make_executor("local", jobs=2) as executor:  # type: ignore[attr-defined]
        executor.prepare(2)
        futures = [executor.submit(a), executor.submit(b)]
        assert all(f.result(timeout=120).ok for f in futures)
    (a0, a1), (b0, b1) = (map(float, printed(r.output).split()) for r in (a, b))
    assert max(a0, b0) < min(a1, b1)  # the two time windows overlap


def test_a_prepared_kernel_is_started_before_the_step_is_submitted(tmp_path: Path) -> None:
    req = step(tmp_path, "s", ["x = 1"])
    with LocalExecutor(jobs=1) as executor:
        executor.prepare(1)
        pool = executor.pool("python3")
        deadline = time.monotonic() + 60
        while pool.ready < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (pool.ready, pool.started) == (1, 1)
        result = executor.submit(req).result(timeout=120)
        assert result.ok
        # The step ran in the kernel started ahead: none was started for it.
        assert (pool.started, pool.ready, pool.starting) == (1, 0, 0)


def test_failed_steps_come_back_as_results(tmp_path: Path) -> None:
    req = step(tmp_path, "bad", ["1 / 0"])
    with make_executor("local") as executor:  # type: ignore[attr-defined]
        result = executor.submit(req).result(timeout=120)
    assert not result.ok
    assert result.error is not None
    assert result.error.ename == "ZeroDivisionError"
