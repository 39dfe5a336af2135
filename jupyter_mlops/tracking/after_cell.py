"""Capture work put off until a notebook cell's output is shown, done in the cell's thread.

A tracked cell shows what it prints, its value and its run's receipt first; then capture saves
the models the cell fitted and renders a statsmodels summary. A user notices: the first
scikit-learn model of a kernel needs skops, whose import takes seconds (it imports torch when
torch is installed), and a statsmodels summary fits a second, intercept-only model.

The work runs in IPython's ``post_run_cell`` event (:mod:`.notebook`): the cell's own thread,
after its output, before the next cell runs. Never in a background thread: an import there
races the user's own imports, and Python may then hand the cell a partially initialized
module. A run that ends first (``%mlops stop``, kernel shutdown) does its own work before it
ends (:meth:`Run.end <jupyter_mlops.tracking.run.Run.end>`).

Outside a notebook cell (a script, ``capturing()`` called directly) nothing is put off:
:func:`put_off` returns False and the caller does the work at once.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

from jupyter_mlops.errors import MlopsWarning

if TYPE_CHECKING:
    from jupyter_mlops.tracking.run import Run

Job = Callable[[], object]

_lock = threading.Lock()
_pending: list[tuple[Run, Job]] = []
#: The thread of the notebook cell executing now (None: no cell will run the work).
_cell_thread: int | None = None


def open_cell() -> None:
    """A notebook cell starts in this thread: work may be put off until its output is shown."""
    global _cell_thread
    _cell_thread = threading.get_ident()


def close_cell() -> None:
    """The cell's output is shown: do the work put off, in order, then accept no more."""
    global _cell_thread
    try:
        run_pending()
    finally:
        _cell_thread = None


def put_off(run: Run, job: Job) -> bool:
    """Do ``job`` (which logs into ``run``) after the cell's output; False outside a cell."""
    if _cell_thread is None or _cell_thread != threading.get_ident():
        return False
    with _lock:
        _pending.append((run, job))
    return True


def pending(run: Run) -> bool:
    """Whether work for ``run`` waits for the cell's output."""
    with _lock:
        return any(r is run for r, _ in _pending)


def run_pending(run: Run | None = None) -> None:
    """Do the work put off (only ``run``'s when given), in the order it was put off.

    A job that fails costs only itself; one interrupted (the user pressed stop while a
    serializer imported) too: the jobs after it still run, so the run still ends.
    """
    interrupted = False
    while True:
        with _lock:
            index = next((i for i, (r, _) in enumerate(_pending) if run is None or r is run), None)
            if index is None:
                break
            _, job = _pending.pop(index)
        try:
            job()
        except KeyboardInterrupt:
            interrupted = True
        except Exception as exc:  # noqa: BLE001 - capture must never break the notebook
            warnings.warn(
                f"jupyter_mlops could not finish capturing the cell: {type(exc).__name__}: {exc}",
                MlopsWarning,
                stacklevel=2,
            )
    if interrupted:
        warnings.warn(
            "jupyter_mlops: interrupted while saving what the cell captured; a model may be "
            "missing from the run.",
            MlopsWarning,
            stacklevel=2,
        )
