"""The module-level tracking API: start_run, active_run, get_run, search_runs."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlops.artifacts.cas import hash_file
from jupyter_mlops.config import load_config
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.identity import user_name
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import metric_history as mh
from jupyter_mlops.store import runs as q
from jupyter_mlops.store.records import MetricPoint, RunRecord
from jupyter_mlops.store.run_lifecycle import set_deleted
from jupyter_mlops.tracking.active import active_run as active_run  # part of this API
from jupyter_mlops.tracking.active import pop, push
from jupyter_mlops.tracking.environment import (
    EXECUTED_NOTEBOOK_TAG,
    executed_notebook,
    notebook_path,
)
from jupyter_mlops.tracking.names import readable_name
from jupyter_mlops.tracking.run import Run

if TYPE_CHECKING:
    import pandas as pd


def start_run(
    name: str | None = None,
    *,
    experiment: str | None = None,
    tags: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    parent: Run | str | None = None,
    notebook: str | None = None,
    store: Store | None = None,
) -> Run:
    """Start a run; use it as ``with mlops.start_run(...) as run:``.

    Args:
        name: A readable name; a fresh one like ``brisk-otter-42`` when omitted.
        experiment: The experiment; defaults to the notebook's name, else the config default.
        tags: Tags to set at once.
        params: Params to log at once.
        parent: The parent run (or its id) for nested runs such as pipeline steps.
        notebook: The notebook this run comes from, when known.
        store: The store to write to (default: the project's store).

    Returns:
        The run, registered as the active run until it ends.
    """
    config = load_config()
    store = store or current_store()
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise MlopsUsageError(f"A run name must be a non-empty string, not {name!r}.")
    nb = notebook or notebook_path()
    if experiment is None:
        experiment = Path(nb).stem if nb else config.experiment
    if not isinstance(experiment, str):
        raise MlopsUsageError(f"An experiment name is a string, not {experiment!r}.")
    if not experiment.strip():
        raise MlopsUsageError("An experiment name must not be empty.")
    nb_digest = None
    if nb and Path(nb).is_file():
        nb_digest = hash_file(nb)
    parent_id = parent.id if isinstance(parent, Run) else parent
    if parent_id is None:
        outer = active_run()
        parent_id = outer.id if outer is not None else None
    run = Run.create(
        store,
        name=name or readable_name(),
        experiment=experiment,
        root=config.root,
        user=user_name(),
        host=socket.gethostname(),
        parent_id=parent_id,
        notebook_path=nb,
        notebook_digest=nb_digest,
        flush_interval=config.flush_interval,
    )
    executed = executed_notebook()
    if executed is not None and executed != nb:
        # Under papermill the executed copy is the notebook to show (the run page links it).
        run.set_tags({EXECUTED_NOTEBOOK_TAG: executed})
    if tags:
        run.set_tags(tags)
    if params:
        run.log_params(params)
    push(run)
    return run


def end_run(status: str = "finished") -> None:
    """End the active run, if any."""
    run = active_run()
    if run is not None:
        run.end(status)
        pop(run)


def _require_run() -> Run:
    run = active_run()
    if run is None:
        raise MlopsUsageError(
            "No active run: start one with `with mlops.start_run():` or `%mlops track`."
        )
    return run


def log_param(key: str, value: Any) -> None:
    """Log a param into the active run."""
    _require_run().log_param(key, value)


def log_params(params: dict[str, Any]) -> None:
    """Log params into the active run."""
    _require_run().log_params(params)


def log_metric(key: str, value: Any, step: int | None = None) -> int:
    """Log a metric point into the active run."""
    return _require_run().log_metric(key, value, step)


def log_metrics(metrics: dict[str, Any], step: int | None = None) -> None:
    """Log several metrics into the active run."""
    _require_run().log_metrics(metrics, step)


def set_tag(key: str, value: Any) -> None:
    """Set a tag on the active run."""
    _require_run().set_tag(key, value)


def log_artifact(source: Any, name: str | None = None) -> None:
    """Log a file, folder or bytes into the active run."""
    _require_run().log_artifact(source, name)


def log_model(model: Any, name: str = "model") -> None:
    """Log a model into the active run."""
    _require_run().log_model(model, name)


def get_run(ref: str, *, store: Store | None = None) -> RunRecord:
    """Read a run by id, short id (4+ characters) or name."""
    return q.load_run(store or current_store(), ref)


def delete_run(*refs: str, store: Store | None = None) -> list[str]:
    """Soft-delete runs (ids, short ids or names): they leave searches until restored.

    Returns the ids of the runs this deleted (runs already deleted are left as they are).
    ``jupyter-mlops gc --yes`` purges runs deleted longer ago than the retention period.
    """
    changed, _ = set_deleted(store or current_store(), refs, at=time.time())
    return changed


def restore_run(*refs: str, store: Store | None = None) -> list[str]:
    """Bring soft-deleted runs back; returns the ids of the runs this restored."""
    changed, _ = set_deleted(store or current_store(), refs, at=None)
    return changed


def get_metric_history(ref: str, key: str, *, store: Store | None = None) -> list[MetricPoint]:
    """Every point of one metric of a run."""
    return mh.metric_history(store or current_store(), ref, key)


def search_runs(
    filter: str | None = None,
    *,
    experiments: list[str] | None = None,
    order_by: list[str] | None = None,
    limit: int | None = 1000,
    offset: int = 0,
    store: Store | None = None,
    lifecycle: str = "active",
) -> pd.DataFrame:
    """Find runs with a filter such as ``"metrics.auc > 0.9 and params.C = '0.5'"``.

    Deleted runs are left out; ``lifecycle="deleted"`` finds only them, ``"all"`` both.

    Returns:
        One row per run with ``params.*``, ``metrics.*`` (latest value) and ``tags.*`` columns.
    """
    # search pulls in pandas: import jupyter_mlops stays cheap.
    from jupyter_mlops.store import search

    store = store or current_store()
    q.reap_stale_runs(store)
    return search.search_runs(
        store,
        filter,
        experiments=experiments,
        order_by=order_by,
        limit=limit,
        offset=offset,
        lifecycle=lifecycle,
    )
