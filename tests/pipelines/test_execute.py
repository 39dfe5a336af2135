"""execute_step: one notebook in a real, fresh kernel through papermill."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import nbformat
import pytest

from jupyter_mlops.pipelines.execute import StepError, StepRequest, StepResult, execute_step

KERNEL = "python3"


def build_notebook(path: Path, cells: list[str]) -> Path:
    """A notebook of code cells; a cell starting ``# parameters`` gets papermill's tag."""
    nb = nbformat.v4.new_notebook()
    for source in cells:
        cell = nbformat.v4.new_code_cell(source)
        if source.startswith("# parameters"):
            cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def request(tmp_path: Path, cells: list[str], **kw: object) -> StepRequest:
    source = build_notebook(tmp_path / "step.ipynb", cells)
    options: dict[str, object] = {
        "step": "step",
        "notebook": source,
        "output": tmp_path / "out" / "step.ipynb",
        "params": {},
        "cwd": tmp_path,
    }
    options.update(kw)
    return StepRequest(**options)  # type: ignore[arg-type]


def code_cells(path: Path) -> list[nbformat.NotebookNode]:
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_params_injected_env_and_cwd_applied_output_saved(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    req = request(
        tmp_path,
        [
            "# parameters\nalpha = 0.1\nname = 'x'",
            "import os\nprint(alpha, name, os.environ['MLOPS_STEP'], os.getcwd())",
        ],
        params={"alpha": 0.5, "name": "y"},
        cwd=work,
        env={"MLOPS_STEP": "train"},
    )
    result = execute_step(req)
    assert result == StepResult(True, req.output, result.duration, None, None)
    cells = code_cells(req.output)
    # papermill's cell after the parameters cell; the hidden bootstrap is not saved.
    assert [c.metadata.get("tags", []) for c in cells] == [
        ["parameters"],
        ["injected-parameters"],
        [],
    ]
    assert "alpha = 0.5" in cells[1].source
    assert stdout(cells[2]).split() == ["0.5", "y", "train", str(work)]
    assert "_mlops_os" not in "".join(c.source for c in cells)


def test_failing_cell_index_name_value_and_saved_report(tmp_path: Path) -> None:
    req = request(
        tmp_path,
        ["# parameters\nn = 1", "x = 2", "raise ValueError(f'bad {n}')", "print('never')"],
        params={"n": 7},
    )
    result = execute_step(req)
    assert not result.ok
    assert result.error is not None
    # Code cells as saved: parameters 0, injected 1, x 2, raise 3.
    assert (result.error.cell_index, result.error.ename, result.error.evalue) == (
        3,
        "ValueError",
        "bad 7",
    )
    assert "raise ValueError" in result.error.traceback
    assert "\x1b[" not in result.error.traceback
    saved = nbformat.read(req.output, as_version=4)
    assert any("papermill-error-cell-tag" in c.metadata.get("tags", []) for c in saved.cells)
    cells = code_cells(req.output)
    assert cells[3].outputs[0].ename == "ValueError"
    assert cells[4].execution_count is None  # never ran


@pytest.mark.parametrize(
    ("code", "ok", "exit_code"),
    [("sys.exit(0)", True, 0), ("sys.exit(3)", False, 3)],
)
def test_sys_exit(tmp_path: Path, code: str, ok: bool, exit_code: int) -> None:
    req = request(tmp_path, [f"import sys\n{code}", "print('after')"])
    result = execute_step(req)
    assert (result.ok, result.exit_code) == (ok, exit_code)
    if not ok:
        assert result.error is not None
        assert (result.error.ename, result.error.evalue, result.error.cell_index) == (
            "SystemExit",
            "3",
            0,
        )


def test_failing_line_magic_fails_the_step(tmp_path: Path) -> None:
    req = request(tmp_path, ["x = 1", "%undefined_magic_xyz", "print('never')"])
    result = execute_step(req)
    assert not result.ok
    assert result.error is not None
    assert result.error.ename == "UsageError"
    assert "undefined_magic_xyz" in result.error.evalue
    assert result.error.cell_index == 1


def test_timeout_interrupts_the_cell(tmp_path: Path) -> None:
    req = request(tmp_path, ["x = 1", "while True:\n    pass"], timeout=1.0)
    result = execute_step(req, grace=30)
    assert not result.ok
    assert result.error is not None
    assert result.error.ename == "TimeoutError"
    assert "interrupted" in result.error.evalue
    assert "KeyboardInterrupt" in result.error.traceback
    assert result.error.cell_index == 1
    assert result.duration < 20


def test_timeout_kills_a_kernel_that_ignores_the_interrupt(tmp_path: Path) -> None:
    stubborn = (
        "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n"
        "    except KeyboardInterrupt:\n        pass"
    )
    req = request(tmp_path, ["x = 1", stubborn], timeout=1.0)
    clock = time.monotonic()
    result = execute_step(req, grace=0.5)
    assert not result.ok
    assert result.error is not None
    assert result.error.ename == "TimeoutError"
    assert "killed" in result.error.evalue
    assert result.error.cell_index == 1
    assert time.monotonic() - clock < 20
    assert req.output.is_file()


def test_dead_kernel_fails_promptly(tmp_path: Path) -> None:
    req = request(tmp_path, ["x = 1", "import os\nos.kill(os.getpid(), 9)", "print('never')"])
    clock = time.monotonic()
    result = execute_step(req)
    assert time.monotonic() - clock < 15
    assert not result.ok
    assert result.error is not None
    assert (result.error.ename, result.error.cell_index) == ("DeadKernelError", 1)
    assert result.exit_code == -9
    assert req.output.is_file()


def test_missing_notebook_is_a_failed_step(tmp_path: Path) -> None:
    from jupyter_mlops.pipelines.kernels import start_kernel

    kernel = start_kernel(KERNEL)
    req = StepRequest("s", tmp_path / "nope.ipynb", tmp_path / "out.ipynb", {}, tmp_path)
    result = execute_step(req, kernel=kernel)
    assert not result.ok
    assert result.error is not None
    assert result.error.ename == "FileNotFoundError"
    assert result.error.cell_index is None
    assert not kernel.is_alive()


def test_results_and_errors_pickle() -> None:
    result = StepResult(False, Path("o.ipynb"), 1.5, StepError(2, "ValueError", "bad", "tb"), None)
    assert pickle.loads(pickle.dumps(result)) == result
