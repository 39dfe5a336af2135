"""Inside a scheduled notebook's kernel: make the scheduler's run the active run.

The scheduler creates the run, then executes the notebook with a first cell that calls
:func:`attach` and a last cell that calls :func:`detach`. What the notebook logs into the
active run (``mlops.log_metric``, the drift engine's ``drift.*`` metrics) lands in the
scheduler's run; runs the notebook starts itself become its children.
"""

from __future__ import annotations

from jupyter_mlops.config import load_config
from jupyter_mlops.store import current_store
from jupyter_mlops.store import runs as q
from jupyter_mlops.tracking import fluent
from jupyter_mlops.tracking.flusher import FLUSHER
from jupyter_mlops.tracking.run import Run

_attached: list[Run] = []


def attach(run_id: str) -> Run:
    """Make the existing run ``run_id`` this process's active run (without owning its end)."""
    store = current_store()
    record = q.load_run(store, run_id)
    config = load_config()
    run = Run(
        store,
        run_id=record.id,
        name=record.name,
        experiment=record.experiment,
        start_time=record.start_time,
        root=config.root,
        flush_interval=config.flush_interval,
        parent_id=record.parent_id,
    )
    FLUSHER.add(run)
    fluent._push(run)
    _attached.append(run)
    return run


def detach() -> None:
    """Flush what the notebook logged and stop treating the run as active."""
    while _attached:
        run = _attached.pop()
        run.flush()
        FLUSHER.discard(run)
        fluent._pop(run)


def cells(run_id: str) -> tuple[str, str]:
    """The source of the first (attach) and last (detach) cells for run ``run_id``."""
    first = (
        "# Injected by the jupyter-mlops scheduler: log into the schedule's run.\n"
        "import jupyter_mlops.scheduler.attach as _mlops_attach\n"
        f"_mlops_attach.attach({run_id!r});"
    )
    last = "_mlops_attach.detach()  # injected by the jupyter-mlops scheduler"
    return first, last
