"""Execute one pipeline step: a notebook run by papermill in a fresh kernel.

papermill does what it always does: it injects the params as an ``injected-parameters`` cell
after the ``parameters`` cell, records cell timings and status, saves the executed notebook
after every cell (so it is there on failure too: it is the step's report) and marks the
failing cell. The kernel comes from outside (a :class:`~.kernels.KernelPool` started it ahead
of need) through a small papermill engine, ``jupyter_mlops`` (:mod:`~.engine`), which also
runs two hidden snippets that are never saved into the notebook:

* a bootstrap before the first cell: the step's environment (``MLOPS_RUN_ID`` …), its working
  folder, and, when ``MLOPS_RUN_ID`` is set, :func:`jupyter_mlops.pipelines.attach.attach`;
* a teardown after the last cell: the attached run's buffered records are flushed.

So ``StepRequest.env`` reaches a pooled kernel through ``os.environ.update``: variables that
only take effect when an interpreter starts (``PYTHONHASHSEED``, ``PYTHONPATH``) do not apply.

``StepRequest.timeout`` bounds the notebook's cells, all together: when it runs out the kernel
is interrupted (KeyboardInterrupt in the cell), and killed if it is still busy
:data:`GRACE` seconds later. The step then fails with ``ename == "TimeoutError"``. A kernel
that dies fails the step at once with ``ename == "DeadKernelError"``.

``StepError.cell_index`` is the 0-based position of the failing cell among the *code* cells of
the saved notebook (papermill's ``injected-parameters`` cell counts; markdown cells and
papermill's error banners do not), or None when no cell was running (the kernel did not start,
the bootstrap failed).
"""

from __future__ import annotations

import re
import time
import traceback as tb
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlops.pipelines import cancel
from jupyter_mlops.pipelines.kernel_env import neutral_env
from jupyter_mlops.pipelines.kernels import PooledKernel, start_kernel

if TYPE_CHECKING:
    from jupyter_mlops.pipelines.engine import StepState

#: Seconds between the interrupt of a step past its timeout and the kill of its kernel.
GRACE = 5.0
#: Seconds a kernel started for one step may take to answer.
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class StepRequest:
    """What to execute: a notebook, its params, where to save the result, and how."""

    step: str
    notebook: Path
    output: Path
    params: dict[str, Any]
    cwd: Path
    kernel: str = "python3"
    timeout: float | None = None
    #: Extra environment for the kernel: MLOPS_RUN_ID, MLOPS_PIPELINE_RUN, MLOPS_STEP,
    #: MLOPS_NOTEBOOK, MLOPS_STORE_URI, MLOPS_ARTIFACTS_URI.
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StepError:
    """Why a step failed. ``cell_index``: see the module docstring."""

    cell_index: int | None
    ename: str
    evalue: str
    traceback: str


@dataclass(frozen=True)
class StepResult:
    """How a step ended; ``output`` is the executed notebook (saved on failure too).

    ``exit_code`` is the code the notebook passed to ``sys.exit`` (0 for ``sys.exit()``), or the
    kernel process's exit status when it died (negative: killed by that signal), else None.
    """

    ok: bool
    output: Path
    duration: float
    error: StepError | None
    exit_code: int | None


def bootstrap_code(request: StepRequest) -> str:
    """The hidden code a pooled kernel runs first: the step's environment, folder and attach."""
    env = {str(k): str(v) for k, v in request.env.items()}
    lines = [
        "import os as _mlops_os",
        f"_mlops_os.environ.update({env!r})",
        f"_mlops_os.chdir({str(request.cwd)!r})",
        "del _mlops_os",
    ]
    if env.get("MLOPS_RUN_ID"):
        lines.append("__import__('jupyter_mlops.pipelines.attach', fromlist=['_']).attach()")
    return "\n".join(lines)


def teardown_code(request: StepRequest) -> str | None:
    """The hidden code run after the last cell (flush the attached run), or None."""
    if not request.env.get("MLOPS_RUN_ID"):
        return None
    return "__import__('jupyter_mlops.pipelines.attach', fromlist=['_']).detach()"


def _code_index(nb: Any, cell_index: int | None) -> int | None:
    """Position of ``nb.cells[cell_index]`` among the code cells."""
    if nb is None or cell_index is None or cell_index >= len(nb.cells):
        return None
    return sum(1 for cell in nb.cells[:cell_index] if cell.get("cell_type") == "code")


def _code_index_of(nb: Any, source: str) -> int | None:
    """Code-cell position of the cell papermill marked as failed (after its banners went in)."""
    code = [cell for cell in nb.cells if cell.get("cell_type") == "code"] if nb else []
    for position, cell in enumerate(code):
        if cell.get("metadata", {}).get("papermill", {}).get("exception") is True:
            return position
    for position, cell in enumerate(code):
        if cell.get("source") == source:
            return position
    return None


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _text(traceback: Any) -> str:
    """A kernel traceback (a list of lines with terminal colours) as plain text."""
    if isinstance(traceback, list | tuple):
        traceback = "\n".join(str(line) for line in traceback)
    return _ANSI.sub("", str(traceback or ""))


def _exit_code(ename: str, evalue: str) -> int | None:
    if ename != "SystemExit":
        return None
    try:
        return int(evalue or 0)
    except ValueError:
        return 1


def _read_output(path: Path) -> Any:
    # start-up: nbformat loads its JSON schemas (~300 ms); papermill has loaded it by now.
    import nbformat

    try:
        return nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    except (OSError, ValueError):
        return None


def execute_step(
    request: StepRequest, *, kernel: PooledKernel | None = None, grace: float | None = None
) -> StepResult:
    """Execute the step's notebook with papermill in ``kernel`` (or a freshly started one).

    The kernel runs this step only and is retired (shut down) when it ends. Never raises for a
    failing notebook: the failure is in the result.

    Args:
        request: The step.
        kernel: A started kernel from a :class:`~.kernels.KernelPool`; when None a kernel is
            started here, with the step's environment and folder.

    Returns:
        ok, the saved notebook, the duration (kernel start-up included when started here), the
        error and the exit code.
    """
    clock = time.perf_counter()
    output = Path(request.output)
    try:
        if kernel is None or kernel.language != "python":
            # Non-Python kernels cannot run the Python bootstrap: start one with the step's env.
            if kernel is not None:
                kernel.retire()
            kernel = start_kernel(
                request.kernel,
                env={**neutral_env(), **request.env},
                cwd=request.cwd,
                timeout=START_TIMEOUT,
            )
            boot = bootstrap_code(request) if kernel.language == "python" else None
        else:
            boot = bootstrap_code(request)
    except Exception as exc:  # noqa: BLE001 - a step that cannot start is a failed step
        return failed_result(output, clock, None, exc)
    # start-up: engine imports papermill and nbclient (~1 s); paid when a step runs.
    from jupyter_mlops.pipelines import engine

    state = engine.StepState(
        kernel=kernel,
        bootstrap=boot,
        teardown=teardown_code(request) if boot else None,
        timeout=request.timeout,
        grace=GRACE if grace is None else grace,
    )
    run = request.env.get("MLOPS_PIPELINE_RUN")
    if run:
        cancel.register(run, kernel)  # so a cancel of the pipeline run kills it
    try:
        return _run(request, state, output, clock)
    finally:
        if run:
            cancel.unregister(run, kernel)
        kernel.retire()


def _run(request: StepRequest, state: StepState, output: Path, clock: float) -> StepResult:
    # start-up: papermill and nbclient (~1 s); execute_step has loaded them by now.
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    # start-up: as above; engine is loaded with them.
    from jupyter_mlops.pipelines import engine

    output.parent.mkdir(parents=True, exist_ok=True)
    error: StepError | None = None
    exit_code: int | None = None
    try:
        nb = engine.execute_notebook(
            request.notebook, output, request.params, kernel_name=request.kernel, state=state
        )
        exit_code = _sys_exit_code(nb)
    except PapermillExecutionError as exc:
        saved = _read_output(output)
        reply = state.reply or {}
        ename = str(reply.get("ename") or exc.ename)
        evalue = str(reply.get("evalue") if reply.get("ename") else exc.evalue)
        trace = _text(reply.get("traceback") if reply.get("ename") else exc.traceback)
        index = _code_index_of(saved, exc.source)
        error = StepError(index, ename, evalue, trace)
        exit_code = _exit_code(ename, evalue)
    except DeadKernelError as exc:
        saved = _read_output(output)
        index = _code_index(saved, state.cell_index) if state.cell_index is not None else None
        if index is None and saved is not None:
            index = _running_cell(saved)
        exit_code = _wait_exit(state.kernel)
        error = StepError(index, "DeadKernelError", f"The kernel died ({exc}).", "")
    except engine.HiddenCodeError as exc:
        content = exc.content
        error = StepError(
            None,
            str(content.get("ename", "Error")),
            f"{exc.args[0]}",
            _text(content.get("traceback")),
        )
    except Exception as exc:  # noqa: BLE001 - a step that fails to run is a failed step
        return failed_result(output, clock, None, exc)
    if state.timed_out is not None and error is not None:
        what = (
            "interrupted the kernel"
            if state.timed_out == "interrupted"
            else f"the kernel ignored the interrupt and was killed {state.grace:g} s later"
        )
        error = StepError(
            error.cell_index,
            "TimeoutError",
            f"The step ran longer than its timeout of {request.timeout:g} s; {what}.",
            error.traceback,
        )
    return StepResult(
        ok=error is None,
        output=output,
        duration=time.perf_counter() - clock,
        error=error,
        exit_code=exit_code,
    )


def _sys_exit_code(nb: Any) -> int | None:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and out.get("ename") == "SystemExit":
                return _exit_code("SystemExit", str(out.get("evalue", "")))
    return None


def _running_cell(nb: Any) -> int | None:
    code = [cell for cell in nb.cells if cell.get("cell_type") == "code"]
    for position, cell in enumerate(code):
        if cell.get("metadata", {}).get("papermill", {}).get("status") == "running":
            return position
    return None


def _wait_exit(kernel: PooledKernel, timeout: float = 2.0) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = kernel.exit_code()
        if code is not None:
            return code
        time.sleep(0.02)
    return None


def failed_result(output: Path, clock: float, index: int | None, exc: BaseException) -> StepResult:
    """The result of a step that failed with ``exc`` outside its notebook (no kernel...);
    ``clock`` is the ``time.perf_counter()`` of its start."""
    error = StepError(
        index,
        type(exc).__name__,
        str(exc),
        "".join(tb.format_exception(type(exc), exc, exc.__traceback__)),
    )
    return StepResult(
        ok=False,
        output=output,
        duration=time.perf_counter() - clock,
        error=error,
        exit_code=None,
    )
