"""Tracking in a notebook: one session per IPython shell, with its line-form run and the cell
being executed.

Line form (``%mlops track``): ``pre_run_cell`` switches capture on for the run, ``post_run_cell``
switches it off and records the cell. A failing cell is recorded as ``failed`` and the run goes
on; ``%mlops stop`` (or kernel shutdown) ends the run ``finished``. Capture is always switched
off in ``post_run_cell``, whatever the cell did. A pipeline step's kernel attaches its step run
the same way (:mod:`jupyter_mlops.pipelines.attach`), without ever ending it.

The ``%mlops`` magics create the session and :meth:`NotebookSession.register` it on the shell
(``%load_ext jupyter_mlops``); :meth:`NotebookSession.of` finds it again from the shell.

From then on every executed cell, tracked or not, goes into the session's bounded cell log
(:mod:`~jupyter_mlops.tracking.session_log`): a tracked cell is checked against it for hidden
state (:mod:`~jupyter_mlops.tracking.hidden_state`), and a tracked run stores it as it ends.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import time
import traceback
import warnings
import weakref
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from IPython.core.interactiveshell import ExecutionInfo, ExecutionResult, InteractiveShell

from jupyter_mlops.errors import MlopsUsageError, MlopsWarning
from jupyter_mlops.tracking import active, after_cell, hidden_state
from jupyter_mlops.tracking.environment import notebook_path
from jupyter_mlops.tracking.hidden_state import Finding
from jupyter_mlops.tracking.run import Run
from jupyter_mlops.tracking.session_log import ARTIFACT, CellLog, SessionCell

#: Frames of our own code (the magics, capture) are left out of a recorded traceback.
_PACKAGE = str(Path(__file__).parents[1]) + os.sep


@dataclass
class CellInfo:
    """The cell IPython is executing now."""

    source: str
    execution_count: int | None
    started: float
    clock: float


#: The session of each shell (a shell that goes away takes its entry with it).
_SESSIONS: weakref.WeakKeyDictionary[InteractiveShell, NotebookSession] = (
    weakref.WeakKeyDictionary()
)


class NotebookSession:
    """What tracking keeps between cells for one shell."""

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        self.line_run: Run | None = None
        self.line_autolog = True
        self.line_cells = 0
        #: The line run belongs to a pipeline step (``pipelines.attach``): never ended here.
        self.line_attached = False
        self.last_run_id: str | None = None
        #: The run of the ``%%mlops track`` cell executing now.
        self.cell_run: Run | None = None
        #: An exception from the user's code in a tracked cell, re-raised untranslated.
        self.cell_exception: BaseException | None = None
        self.cell: CellInfo | None = None
        self._capture: AbstractContextManager[Any] | None = None
        self._captured_run: Run | None = None
        #: Every executed cell since the extension was loaded (bounded).
        self.cells = CellLog()
        #: The log entry of the cell executing now.
        self.entry: SessionCell | None = None
        #: Hidden state found in each open tracked run's cells.
        self.findings: dict[str, list[Finding]] = {}
        #: Those findings in one line, for each run's receipt.
        self._hidden: dict[str, str] = {}

    @property
    def capturing(self) -> bool:
        """Whether capture is switched on now (only ever during a cell)."""
        return self._capture is not None

    def refuse_in_tracked_cell(self, verb: str, why: str) -> None:
        """Raise when ``%mlops VERB`` runs inside a ``%%mlops track`` cell.

        Raises:
            MlopsUsageError: inside a tracked cell.
        """
        if self.cell_run is not None:
            raise MlopsUsageError(f"%mlops {verb} cannot run inside a %%mlops track cell: {why}.")

    # -- IPython events ------------------------------------------------------
    @classmethod
    def of(cls, shell: InteractiveShell) -> NotebookSession | None:
        """The session registered on ``shell``, if any."""
        return _SESSIONS.get(shell)

    def register(self) -> None:
        """Hook the cell events of the shell; the shell's session is this one from now on."""
        self.shell.events.register("pre_run_cell", self.pre_run_cell)
        self.shell.events.register("post_run_cell", self.post_run_cell)
        self._hook_kernel_shutdown()
        _SESSIONS[self.shell] = self

    def _hook_kernel_shutdown(self) -> None:
        # A kernel shut down by its client (papermill, nbclient, JupyterLab) may be killed
        # before atexit runs, e.g. while joblib's worker pool winds down: end the line-form run
        # as soon as the shutdown request arrives.
        kernel = getattr(self.shell, "kernel", None)
        original = getattr(kernel, "do_shutdown", None)
        if kernel is None or not callable(original) or getattr(original, "_mlops", False):
            return
        session = weakref.ref(self)

        def do_shutdown(restart: bool) -> Any:
            me = session()
            if me is not None:
                # The kernel must shut down (or restart) whatever ending the run met.
                with contextlib.suppress(Exception):
                    me.close()
            return original(restart)

        do_shutdown._mlops = True  # type: ignore[attr-defined]
        kernel.do_shutdown = do_shutdown

    def unregister(self) -> None:
        """End line-form tracking and unhook the cell events."""
        self.close()
        for event, callback in (
            ("pre_run_cell", self.pre_run_cell),
            ("post_run_cell", self.post_run_cell),
        ):
            if callback in self.shell.events.callbacks[event]:
                self.shell.events.unregister(event, callback)
        if _SESSIONS.get(self.shell) is self:
            del _SESSIONS[self.shell]
        after_cell.close_cell()  # no post_run_cell will come to do what was put off

    def pre_run_cell(self, info: ExecutionInfo) -> None:
        after_cell.open_cell()
        count = self.shell.execution_count
        # IPython has already counted a cell that goes into history.
        self.cell = CellInfo(
            source=info.raw_cell or "",
            execution_count=count - 1 if info.store_history else count,
            started=time.time(),
            clock=time.perf_counter(),
        )
        self.entry = self.cells.append(
            SessionCell.executed(
                self.cell.source,
                execution_count=self.cell.execution_count,
                started=self.cell.started,
            )
        )
        run = self.line_run
        if run is not None and run.ended:  # ended through the Python API
            self._forget_line_run()
        elif run is not None:
            self.begin_capture(run, autolog=self.line_autolog)

    def post_run_cell(self, result: ExecutionResult | None) -> None:
        try:
            error = None if result is None else result.error_before_exec or result.error_in_exec
            self._log_outcome(result, error)
            run = self._captured_run
            if run is not None:
                self.end_capture(run, error)
            self.cell = None
        finally:
            # The cell's output is shown: now the models it fitted are saved (and a
            # %%mlops track cell's run ends), in this thread, before the next cell.
            after_cell.close_cell()

    def _log_outcome(self, result: ExecutionResult | None, error: BaseException | None) -> None:
        entry, self.entry = self.entry, None
        if entry is None and result is not None and result.info is not None:
            # The %load_ext cell: the hooks were registered while it ran.
            entry = self.cells.append(
                SessionCell.executed(
                    result.info.raw_cell or "",
                    execution_count=result.execution_count,
                    started=time.time(),
                )
            )
        if entry is not None:
            entry.status = "ok" if error is None else "failed"

    # -- the session's cells: hidden state and the log a run keeps ------------------
    def track_cell(self, run: Run) -> list[Finding]:
        """Mark the cell executing now as ``run``'s and check it for hidden state.

        Hidden state found is tagged on the run (:data:`hidden_state.TAG`) and kept for its
        receipt (:meth:`take_hidden_state`).
        """
        entry = self.entry
        if entry is None or run.ended:
            return []
        entry.run_id = run.id
        earlier = list(self.cells)[:-1] if self.cells.last is entry else list(self.cells)
        try:
            notebook = hidden_state.read_notebook(notebook_path(self.shell.user_ns))
            found = hidden_state.detect(earlier, entry, notebook)
        except Exception as exc:  # noqa: BLE001 - a check must never stop the user's cell
            warnings.warn(f"The hidden-state check was skipped: {exc}", MlopsWarning, stacklevel=2)
            return []
        if found:
            kept = self.findings.setdefault(run.id, [])
            kept.extend(f for f in found if f not in kept)
            line_form = run is self.line_run
            self._hidden[run.id] = hidden_state.describe(kept, line_form=line_form)
            run.set_tag(hidden_state.TAG, hidden_state.tag_value(kept, line_form=line_form))
        return found

    def take_hidden_state(self, run: Run) -> str | None:
        """The hidden state ``run``'s cells relied on, in one line (None: none), for its receipt."""
        self.findings.pop(run.id, None)
        return self._hidden.pop(run.id, None)

    def seal(self, run: Run, error: BaseException | None = None) -> None:
        """Store the session's cell log into ``run`` as it ends (``error``: the current cell's)."""
        if run.ended:
            return
        if self.entry is not None and self.entry.run_id == run.id:
            self.entry.status = "ok" if error is None else "failed"
        try:
            run.log_artifact(
                self.cells.payload(run.id), ARTIFACT, kind="session", media_type="application/json"
            )
        except Exception as exc:  # noqa: BLE001 - the run must still end
            warnings.warn(
                f"The session's cell log of run {run.label} could not be stored: {exc}",
                MlopsWarning,
                stacklevel=2,
            )

    # -- capture around a cell -------------------------------------------------
    def begin_capture(self, run: Run, *, autolog: bool) -> None:
        """Switch capture on for ``run`` until :meth:`end_capture`."""
        self.track_cell(run)
        capture = capture_for(run, self.shell.user_ns, autolog=autolog)
        capture.__enter__()
        self._capture, self._captured_run = capture, run

    def end_capture(self, run: Run, error: BaseException | None) -> None:
        """Switch capture off and record the current cell into ``run``."""
        capture, self._capture, self._captured_run = self._capture, None, None
        try:
            if capture is not None:
                exit_capture(capture, error)
        finally:
            cell = self.cell
            if cell is not None and not run.ended:
                run.log_cell(
                    cell.source,
                    execution_count=cell.execution_count,
                    started=cell.started,
                    duration=time.perf_counter() - cell.clock,
                    status=cell_status(error),
                    error=format_error(error),
                )
                if run is self.line_run:
                    self.line_cells += 1

    # -- line-form run ---------------------------------------------------------
    def start_line_run(self, run: Run, *, autolog: bool) -> None:
        """Capture every following cell, and the rest of this one, into ``run``."""
        self.line_run, self.line_autolog, self.line_cells = run, autolog, 0
        self.last_run_id = run.id
        atexit.register(self.close)
        if self.cell is not None:
            self.begin_capture(run, autolog=autolog)

    def attach_line_run(self, run: Run, *, autolog: bool) -> None:
        """Capture every following cell into a pipeline step's ``run``, which stays open."""
        self.start_line_run(run, autolog=autolog)
        self.line_attached = True
        atexit.unregister(self.close)

    def detach_line_run(self) -> Run | None:
        """Stop capturing into the attached run (the cell running now is recorded into it)."""
        run = self.line_run
        if run is None or not self.line_attached:
            return None
        if self._captured_run is run:
            self.end_capture(run, None)
        after_cell.run_pending(run)  # the run is written now: its models too
        self.seal(run)  # the step's cells, as a tracked run keeps them
        self.line_attached = False
        self.line_run = None
        return run

    def suspend_capture(self) -> None:
        """Switch capture off for the rest of this cell; the cell is still recorded."""
        capture, self._capture = self._capture, None
        if capture is not None:
            exit_capture(capture, None)

    def stop_line_run(self) -> Run | None:
        """End the line-form run ``finished``; the cell running now is recorded into it."""
        run = self.line_run
        if run is None:
            return None
        if self.line_attached:  # a pipeline step's run: the runner ends it
            self.detach_line_run()
            run.flush()
            return run
        try:
            if self._captured_run is run:
                self.end_capture(run, None)
            self.seal(run)
        finally:
            self._forget_line_run()
            finish(run, "finished")
        return run

    def _forget_line_run(self) -> None:
        self.line_run = None
        atexit.unregister(self.close)

    def end_active(self) -> Run | None:
        """End the run in progress, if any, so that a new one can start; return it.

        A pipeline step's attached run is left running (a new run becomes its child).
        """
        if self.line_attached:
            return None
        if self.line_run is not None:
            return self.stop_line_run()
        run = active.active_run()
        if run is not None:
            finish(run, "finished")
        return run

    def close(self) -> None:
        """End tracking (kernel shutdown, ``%unload_ext``)."""
        self.stop_line_run()


def capture_for(run: Run, user_ns: dict[str, Any], *, autolog: bool) -> AbstractContextManager[Any]:
    """The context that captures into ``run`` (nothing when ``autolog`` is off)."""
    if not autolog:
        return nullcontext()
    # capture is loaded by the first tracked cell, not by %load_ext.
    from jupyter_mlops.tracking.capture import capturing

    return capturing(run, user_ns=user_ns)


def exit_capture(capture: AbstractContextManager[Any], error: BaseException | None) -> None:
    """Leave ``capture`` as a ``with`` block would when ``error`` was raised inside it."""
    if error is None:
        capture.__exit__(None, None, None)
        return
    tb: TracebackType | None = error.__traceback__
    capture.__exit__(type(error), error, tb)


def finish(run: Run, status: str, *, error: str | None = None) -> None:
    """End ``run`` and take it off the active-run stack."""
    try:
        run.end(status, error=error)
    finally:
        active.pop(run)


def cell_status(error: BaseException | None) -> str:
    """How a cell ended: ``ok``, ``failed``, or ``killed`` (interrupted)."""
    if error is None:
        return "ok"
    return "killed" if isinstance(error, KeyboardInterrupt) else "failed"


def run_status(error: BaseException | None) -> str:
    """How a one-cell run ended: ``finished``, ``failed`` or ``killed``."""
    return {"ok": "finished"}.get(cell_status(error), cell_status(error))


def format_error(error: BaseException | None) -> str | None:
    """The traceback of ``error`` from the user's code down (our own frames left out)."""
    if error is None:
        return None
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_PACKAGE):
        tb = tb.tb_next
    # An error raised in our own code, not the user's: its whole traceback says where.
    return "".join(traceback.format_exception(type(error), error, tb or error.__traceback__))
