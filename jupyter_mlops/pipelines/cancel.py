"""Cancelling a pipeline run: the kernels its steps run in, by pipeline run, in this process.

A cancel is recorded in the store first (the run and its unfinished steps become
``cancelled``), so any process may ask for it; the process running the steps sees it within
:data:`POLL` seconds (:func:`jupyter_mlops.pipelines.steps.run_steps` looks between steps and
while they run) and kills their kernels. A cancel asked in the same process kills them at once.
Steps on a Dask cluster are not reachable from here: they finish, and nothing runs after them.
A cancel is final: a step or run that ends after it (killed, failed, or done a moment late)
stays ``cancelled`` in the store.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from jupyter_mlops.store import Store

#: Seconds between two looks at the store for a cancel while steps run.
POLL = 0.5


class Killable(Protocol):
    def kill(self) -> None: ...


_lock = threading.Lock()
_kernels: dict[str, set[Killable]] = {}
_cancelled: set[str] = set()


def register(pipeline_run_id: str, kernel: Killable) -> None:
    """``kernel`` runs a step of ``pipeline_run_id`` now (killed at once if it was cancelled)."""
    with _lock:
        _kernels.setdefault(pipeline_run_id, set()).add(kernel)
        cancelled = pipeline_run_id in _cancelled
    if cancelled:
        kernel.kill()


def unregister(pipeline_run_id: str, kernel: Killable) -> None:
    """The step in ``kernel`` ended."""
    with _lock:
        found = _kernels.get(pipeline_run_id)
        if found is not None:
            found.discard(kernel)
            if not found:
                del _kernels[pipeline_run_id]


def kill(pipeline_run_id: str) -> int:
    """Kill the kernels of ``pipeline_run_id``'s running steps (and those it starts); how many."""
    with _lock:
        _cancelled.add(pipeline_run_id)
        kernels = list(_kernels.get(pipeline_run_id, ()))
    for kernel in kernels:
        kernel.kill()
    return len(kernels)


def forget(pipeline_run_id: str) -> None:
    """The run ended: drop what is kept about it."""
    with _lock:
        _cancelled.discard(pipeline_run_id)
        _kernels.pop(pipeline_run_id, None)


def cancel_run(pipeline_run_id: str, *, store: Store | None = None) -> str:
    """Cancel a running pipeline run (its id, or a unique prefix of 4+ characters): it and its
    unfinished steps end ``cancelled`` and its kernels are killed (a run in another process
    sees it within :data:`POLL` seconds). Returns the run's full id.

    Raises:
        NotFoundError: no pipeline run has that id.
        ConflictError: the run has ended already.
    """
    # start-up: the store loads when a run is cancelled, not with the runner's kernels.
    from jupyter_mlops.errors import ConflictError, NotFoundError
    from jupyter_mlops.store import current_store
    from jupyter_mlops.store import pipelines as records

    store = store or current_store()
    record = records.find_pipeline_run(store, pipeline_run_id)
    if record is None:
        raise NotFoundError(
            f"No pipeline run {pipeline_run_id!r}: give its id or a prefix of 4+ characters "
            "(`jupyter-mlops run` prints it)."
        )
    if not records.cancel_pipeline_run(store, record.id, "cancelled"):
        ended = records.get_pipeline_run(store, record.id)
        state = ended.status if ended is not None else record.status
        raise ConflictError(
            f"Pipeline run {record.id[:8]} has ended ({state}); only a running run can be "
            "cancelled."
        )
    kill(record.id)  # at once when its steps run in this process
    return record.id
