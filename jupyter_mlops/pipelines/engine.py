"""The papermill engine ``jupyter_mlops``: papermill's notebook client, in a given kernel.

It runs a notebook in a kernel started ahead of need (never starts one), runs the step's hidden
bootstrap before the first cell and teardown after the last (never saved into the notebook),
saves the output notebook at most every :data:`SAVE_EVERY` seconds, and interrupts then kills
the kernel when the step runs out of time (:func:`watch`). See
:mod:`jupyter_mlops.pipelines.execute`, which imports this module when a step runs: papermill
and nbclient are slow to import.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any

import papermill
from jupyter_core.utils import ensure_async, run_sync
from nbclient.util import run_hook
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
from papermill.log import logger

from jupyter_mlops.pipelines.kernels import PooledKernel

ENGINE = "jupyter_mlops"
#: Seconds the hidden bootstrap and teardown may take.
HIDDEN_TIMEOUT = 60
#: Seconds between saves of the output notebook while it runs (always saved at the end).
SAVE_EVERY = 1.0


class HiddenCodeError(Exception):
    """The hidden bootstrap or teardown failed (``content`` is the kernel's error reply)."""

    def __init__(self, what: str, content: dict[str, Any]) -> None:
        super().__init__(f"{what}: {content.get('ename')}: {content.get('evalue')}")
        self.content = content


@dataclass
class StepState:
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


async def ready(kc: Any, timeout: float) -> None:
    """Wait until the kernel answers on shell and its IOPub messages reach us."""
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


def watch(state: StepState) -> None:
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

    def __init__(self, nb_man: Any, *, state: StepState, **kw: Any) -> None:
        super().__init__(nb_man, km=state.kernel.km, **kw)
        self.state = state
        self.on_cell_error = self._note_error

    async def async_start_new_kernel_client(self) -> Any:
        # The kernel is known to be up: skip jupyter_client's fixed 0.2 s IOPub flush.
        self.kc = self.km.client()
        await ensure_async(self.kc.start_channels())
        await ready(self.kc, float(self.startup_timeout))
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
            raise HiddenCodeError(what, content or {"ename": "TimeoutError"})

    def papermill_execute_cells(self) -> None:
        state = self.state
        if state.bootstrap:
            self._hidden(state.bootstrap, "step bootstrap")
        watchdog = None
        if state.timeout is not None:
            watchdog = threading.Thread(
                target=watch, args=(state,), name="mlops-step-timeout", daemon=True
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
        state: StepState,
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


def execute_notebook(
    notebook: Path, output: Path, params: dict[str, Any], *, kernel_name: str, state: StepState
) -> Any:
    """Run ``notebook`` with papermill in the kernel of ``state``, saving it to ``output``.

    Returns:
        The executed notebook.

    Raises:
        PapermillExecutionError: A cell failed.
        DeadKernelError: The kernel died.
        HiddenCodeError: The bootstrap or teardown failed.
    """
    papermill_engines.register(ENGINE, StepEngine)  # a dict entry: registering again is free
    return papermill.execute_notebook(
        str(notebook),
        str(output),
        parameters=dict(params),
        engine_name=ENGINE,
        kernel_name=kernel_name,
        progress_bar=False,
        # Outputs of a running cell reach the saved notebook within a second (live logs).
        autosave_cell_every=1,
        state=state,
    )
