"""Kernel side of a pipeline step: track every cell into the step's existing run.

The runner creates the step's run and starts the kernel with ``MLOPS_RUN_ID``; the executor's
hidden bootstrap then calls :func:`attach`, which loads the ``%mlops`` extension and captures
every following cell into that run, as ``%mlops track`` (line form) does, except that the run
is never ended here: the runner ends it. ``%%mlops track`` cells in the notebook become child
runs of the step run. The hidden teardown calls :func:`detach`, which writes what is buffered.
"""

from __future__ import annotations

import os

from IPython import get_ipython
from IPython.core.interactiveshell import InteractiveShell

from jupyter_mlops.config import load_config
from jupyter_mlops.errors import MlopsError, MlopsUsageError, NotFoundError
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import runs as q
from jupyter_mlops.tracking import active
from jupyter_mlops.tracking.flusher import FLUSHER
from jupyter_mlops.tracking.notebook import NotebookSession
from jupyter_mlops.tracking.run import Run
from jupyter_mlops.tracking.snapshot import join_environment_threads

RUN_ID_VAR = "MLOPS_RUN_ID"


def open_run(store: Store, run_id: str) -> Run:
    """A writer for the existing run ``run_id`` (nothing is inserted).

    Raises:
        NotFoundError: No such run.
        MlopsUsageError: The run has ended.
    """
    head = q.run_head(store, run_id)
    if head is None:
        raise NotFoundError(f"No run {run_id!r} to attach to (MLOPS_RUN_ID).", ref=run_id)
    if head.status != "running":
        raise MlopsUsageError(f"Run {run_id!r} has ended ({head.status}); cannot attach to it.")
    config = load_config()
    run = Run(
        store,
        run_id=run_id,
        name=head.name,
        experiment=head.experiment,
        start_time=head.start_time,
        root=config.root,
        flush_interval=config.flush_interval,
        parent_id=head.parent_id,
    )
    FLUSHER.add(run)
    return run


def _session(shell: InteractiveShell) -> NotebookSession:
    """The shell's tracking session; ``%load_ext jupyter_mlops`` first when it has none.

    The extension also gives the step's notebook the ``%mlops`` magics.
    """
    session = NotebookSession.of(shell)
    if session is None and shell.extension_manager is not None:
        shell.extension_manager.load_extension("jupyter_mlops")
        session = NotebookSession.of(shell)
    if session is None:
        raise MlopsError("Loading the jupyter_mlops extension registered no tracking session.")
    return session


def attach(run_id: str | None = None, *, shell: InteractiveShell | None = None) -> Run:
    """Track every following cell of this kernel into the existing run ``run_id``.

    Args:
        run_id: The run (default: ``$MLOPS_RUN_ID``).
        shell: The IPython shell (default: the running one).

    Returns:
        The attached run; it is the active run until :func:`detach`.

    Raises:
        MlopsUsageError: No run id, no IPython shell, or the run has ended.
    """
    run_id = run_id or os.environ.get(RUN_ID_VAR)
    if not run_id:
        raise MlopsUsageError(f"attach() needs a run id or ${RUN_ID_VAR}.")
    if shell is None:
        shell = get_ipython()
    if shell is None:
        raise MlopsUsageError("attach() runs inside an IPython kernel.")
    run = open_run(current_store(), run_id)
    session = _session(shell)
    session.attach_line_run(run, autolog=load_config().autolog)
    active.push(run)
    return run


def detach(*, shell: InteractiveShell | None = None) -> Run | None:
    """Stop tracking into the attached run and write what is buffered; the run stays open."""
    if shell is None:
        shell = get_ipython()
    if shell is None:
        return None
    run = _session(shell).detach_line_run()
    if run is not None:
        FLUSHER.discard(run)
        active.pop(run)
        run.flush()
    # The step's kernel is shut down right after this: let environment snapshots of runs
    # started in it (``%%mlops track`` cells) reach the store first.
    join_environment_threads()
    return run
