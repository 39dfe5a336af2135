"""``%%mlops track``: one cell as one run; ``%mlops track``: every following cell as one run."""

from __future__ import annotations

import argparse
import time

from jupyter_mlops.config import load_config
from jupyter_mlops.magics._args import VerbParser, key_value, nonempty, param_pair
from jupyter_mlops.magics._cell import compile_cell
from jupyter_mlops.magics._display import show
from jupyter_mlops.tracking import after_cell
from jupyter_mlops.tracking.capture.papermill import log_injected_params
from jupyter_mlops.tracking.environment import notebook_path
from jupyter_mlops.tracking.fluent import start_run
from jupyter_mlops.tracking.notebook import (
    NotebookSession,
    capture_for,
    cell_status,
    finish,
    format_error,
    run_status,
)
from jupyter_mlops.tracking.run import Run
from jupyter_mlops.tracking.summary import RunSummary

CELL = True

parser = VerbParser("track")
parser.add_argument(
    "name", nargs="?", type=nonempty, metavar="NAME", help="run name (default: a fresh one)"
)
parser.add_argument(
    "--experiment", "-e", type=nonempty, metavar="E", help="experiment (default: the notebook's)"
)
parser.add_argument(
    "--tag", action="append", type=key_value, default=[], metavar="K=V", help="set a tag"
)
parser.add_argument(
    "--param", action="append", type=param_pair, default=[], metavar="K=V", help="log a param"
)
parser.add_argument(
    "--no-autolog", action="store_true", help="record the cell only, capture nothing automatically"
)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Track ``cell`` as one run, or (line form) every cell from now on."""
    __tracebackhide__ = True
    if cell is None and session.line_attached and session.line_run is not None:
        run = session.line_run  # a pipeline step: its cells are tracked into its run already
        run.set_tags(dict(args.tag))
        run.log_params(dict(args.param))
        print(f"mlops: this notebook runs as a pipeline step; tracking into run {run.label}.")
        return None
    if cell is None:
        run = _start(session, args)
        session.start_line_run(run, autolog=_autolog(args))
        print(f"mlops: tracking every cell into run {run.label} until %mlops stop.")
        return None
    return _track_cell(session, args, cell)


def _autolog(args: argparse.Namespace) -> bool:
    return not args.no_autolog and load_config().autolog


def _start(session: NotebookSession, args: argparse.Namespace) -> Run:
    session.refuse_in_tracked_cell("track", "the cell is one run already")
    previous = session.end_active()
    run = start_run(
        args.name,
        experiment=args.experiment,
        tags=dict(args.tag),
        notebook=notebook_path(session.shell.user_ns),
    )
    log_injected_params(run, session.shell)
    run.log_params(dict(args.param))  # explicit params win over injected ones
    session.last_run_id = run.id
    if previous is not None:
        print(f"mlops: ended run {previous.label} ({previous.status}); tracking into {run.label}.")
    return run


def _track_cell(session: NotebookSession, args: argparse.Namespace, body: str) -> object:
    __tracebackhide__ = True
    info = session.cell
    header = info.source.partition("\n")[0] if info else "%%mlops track"
    count = info.execution_count if info else None
    code = compile_cell(session.shell, body, header=header, execution_count=count)
    run = _start(session, args)
    session.track_cell(run)
    if session.line_attached:
        session.suspend_capture()  # the child run captures this cell, not the step run
    started, clock = time.time(), time.perf_counter()
    error: BaseException | None = None
    value: object = None
    session.cell_run = run
    try:
        with capture_for(run, session.shell.user_ns, autolog=_autolog(args)):
            value = code.run(session.shell)
    except BaseException as exc:  # noqa: BLE001 - recorded, then re-raised below
        error = exc
    finally:
        session.cell_run = None
    duration = time.perf_counter() - clock
    text = format_error(error)
    status = run_status(error)
    try:
        run.log_cell(
            info.source if info else body,
            execution_count=count,
            started=started,
            duration=duration,
            status=cell_status(error),
            error=text,
        )
        session.seal(run, error)
    finally:
        # Models still to save wait for the cell's output (after_cell): the run ends after.
        if not (
            after_cell.pending(run)
            and after_cell.put_off(run, lambda: finish(run, status, error=text))
        ):
            finish(run, status, error=text)
    hidden = session.take_hidden_state(run)
    show(RunSummary.of(run, duration=duration, error=text, hidden_state=hidden, status=status))
    if error is not None:
        session.cell_exception = error
        raise error
    return value
