"""Execute one pipeline step: a notebook run by papermill in a fresh kernel.

papermill does what it always does: it injects the params as an ``injected-parameters`` cell
after the ``parameters`` cell, records cell timings and status, saves the executed notebook
after every cell (so it is there on failure too: it is the step's report) and marks the
failing cell. The kernel comes from outside (a :class:`~.kernels.KernelPool` started it ahead
of need) through a small papermill engine, ``jupyter_mlops``, which also runs two hidden
snippets that are never saved into the notebook:

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
import threading
import time
import traceback as tb
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_mlops.pipelines.kernels import PooledKernel, neutral_env, start_kernel

ENGINE = "jupyter_mlops"
#: Seconds between the interrupt of a step past its timeout and the kill of its kernel.
GRACE = 5.0
#: Seconds the hidden bootstrap and teardown may take.
HIDDEN_TIMEOUT = 60
#: Seconds between saves of the output notebook while it runs (always saved at the end).
SAVE_EVERY = 1.0
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


class _HiddenCodeError(Exception):
    def __init__(self, what: str, content: dict[str, Any]) -> None:
        super().__init__(f"{what}: {content.get('ename')}: {content.get('evalue')}")
        self.content = content


@dataclass
class _StepState:
    """Shared between execute_step, the papermill engine and the time-out watchdog."""

    kernel: PooledKernel
    bootstrap: str | None
    teardown: str | None
    timeout: float | None
    grace: float
    cell_index: int | None = None  # index into nb.cells of the cell running now
    reply: dict[str, Any] | None = None  # error reply of the failing cell
    timed_out: str | None = None  # "interrupted" or "killed"
    done: threading.Event = field(default_factory=threading.Event)


def _engine() -> Any:
    """The papermill engine class, built and registered on first use (nothing at import)."""
    global _ENGINE_CLASS
    if _ENGINE_CLASS is not None:
        return _ENGINE_CLASS
    from jupyter_core.utils import ensure_async, run_sync
    from nbclient.util import run_hook
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
    from papermill.log import logger

    class StepManager(NotebookExecutionManager):  # type: ignore[misc]
        """papermill's notebook state, saved at most every SAVE_EVERY s until the end.

        papermill saves after every cell; for steps of many tiny cells the writes cost more
        than the cells. The final save (papermill's ``notebook_complete``) always happens.
        """

        final = False

        def save(self, **kwargs: Any) -> None:
            elapsed = (self.now() - self.last_save_time).total_seconds()
            if self.final or elapsed >= SAVE_EVERY:
                super().save(**kwargs)

        def notebook_complete(self, **kwargs: Any) -> None:
            self.final = True
            super().notebook_complete(**kwargs)

    class StepClient(PapermillNotebookClient):  # type: ignore[misc]
        """papermill's client with a given kernel and hidden bootstrap/teardown code."""

        def __init__(self, nb_man: Any, *, state: _StepState, **kw: Any) -> None:
            super().__init__(nb_man, km=state.kernel.km, **kw)
            self.state = state
            self.on_cell_error = self._note_error

        async def async_start_new_kernel_client(self) -> Any:
            # The kernel is known to be up: skip jupyter_client's fixed 0.2 s IOPub flush.
            self.kc = self.km.client()
            await ensure_async(self.kc.start_channels())
            await _ready(self.kc, float(self.startup_timeout))
            self.kc.allow_stdin = False
            await run_hook(self.on_notebook_start, notebook=self.nb)
            return self.kc

        start_new_kernel_client = run_sync(async_start_new_kernel_client)

        def _note_error(self, cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:
            self.state.reply = dict(execute_reply.get("content", {}))

        async def async_execute_cell(
            self, cell: Any, cell_index: int, execution_count: int | None = None, **kw: Any
        ) -> Any:
            self.state.cell_index = cell_index
            return await super().async_execute_cell(cell, cell_index, execution_count, **kw)

        execute_cell = run_sync(async_execute_cell)

        def _hidden(self, code: str, what: str) -> None:
            msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
            limit: int | None = HIDDEN_TIMEOUT
            self.timeout = limit
            try:
                reply = self.wait_for_reply(msg_id)
            finally:
                self.timeout = None
            content = dict((reply or {}).get("content", {}))
            if content.get("status") != "ok":
                raise _HiddenCodeError(what, content or {"ename": "TimeoutError"})

        def papermill_execute_cells(self) -> None:
            state = self.state
            if state.bootstrap:
                self._hidden(state.bootstrap, "step bootstrap")
            watchdog = None
            if state.timeout is not None:
                watchdog = threading.Thread(
                    target=_watch, args=(state,), name="mlops-step-timeout", daemon=True
                )
                watchdog.start()
            try:
                super().papermill_execute_cells()
            finally:
                state.done.set()
                if watchdog is not None:
                    watchdog.join()
            if state.teardown and state.timed_out is None:
                self._hidden(state.teardown, "step teardown")

    class StepEngine(NBClientEngine):  # type: ignore[misc]
        """Runs a papermill notebook in the kernel of ``state`` (never starts one)."""

        @classmethod
        def execute_notebook(
            cls,
            nb: Any,
            kernel_name: str,
            output_path: str | None = None,
            progress_bar: bool = False,
            log_output: bool = False,
            autosave_cell_every: int = 30,
            **kwargs: Any,
        ) -> Any:
            # papermill's Engine.execute_notebook with the throttled StepManager.
            nb_man = StepManager(
                nb,
                output_path=output_path,
                progress_bar=progress_bar,
                log_output=log_output,
                autosave_cell_every=autosave_cell_every,
            )
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: Any = None,
            *,
            state: _StepState,
            **kwargs: Any,
        ) -> Any:
            client = StepClient(
                nb_man,
                state=state,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                startup_timeout=start_timeout,
            )
            try:
                return client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    papermill_engines.register(ENGINE, StepEngine)
    _ENGINE_CLASS = StepEngine
    return StepEngine


_ENGINE_CLASS: Any = None


async def _ready(kc: Any, timeout: float) -> None:
    """Wait until the kernel answers on shell and its IOPub messages reach us."""
    from queue import Empty

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg_id = kc.kernel_info()
        answered = time.monotonic() + 1.0
        replied = False
        while not replied and time.monotonic() < answered:
            try:
                reply = await kc.shell_channel.get_msg(timeout=answered - time.monotonic())
            except Empty:
                break
            replied = reply.get("parent_header", {}).get("msg_id") == msg_id  # else stale
        if not replied:
            if not await kc.is_alive():
                raise RuntimeError("The kernel died before it answered.")
            continue
        try:
            await kc.iopub_channel.get_msg(timeout=0.2)  # its busy/idle: IOPub is connected
        except Empty:
            continue
        return
    raise RuntimeError(f"The kernel did not answer within {timeout:g} s.")


_engine_lock = threading.Lock()


def _watch(state: _StepState) -> None:
    """Interrupt the kernel when the step runs out of time; kill it after the grace period."""
    assert state.timeout is not None
    if state.done.wait(state.timeout):
        return
    state.timed_out = "interrupted"
    state.kernel.interrupt()
    if state.done.wait(state.grace):
        return
    state.timed_out = "killed"
    state.kernel.kill()


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
        return _failed(output, clock, None, exc)
    state = _StepState(
        kernel=kernel,
        bootstrap=boot,
        teardown=teardown_code(request) if boot else None,
        timeout=request.timeout,
        grace=GRACE if grace is None else grace,
    )
    try:
        return _run(request, state, output, clock)
    finally:
        kernel.retire()


def _run(request: StepRequest, state: _StepState, output: Path, clock: float) -> StepResult:
    import papermill
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    with _engine_lock:
        _engine()
    output.parent.mkdir(parents=True, exist_ok=True)
    error: StepError | None = None
    exit_code: int | None = None
    try:
        nb = papermill.execute_notebook(
            str(request.notebook),
            str(output),
            parameters=dict(request.params),
            engine_name=ENGINE,
            kernel_name=request.kernel,
            progress_bar=False,
            state=state,
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
    except _HiddenCodeError as exc:
        content = exc.content
        error = StepError(
            None,
            str(content.get("ename", "Error")),
            f"{exc.args[0]}",
            _text(content.get("traceback")),
        )
    except Exception as exc:  # noqa: BLE001 - a step that fails to run is a failed step
        return _failed(output, clock, None, exc)
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


def _failed(output: Path, clock: float, index: int | None, exc: BaseException) -> StepResult:
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
