"""``mlops.upstream("train")``: what an earlier step of this pipeline run published.

A step kernel knows its pipeline run from ``MLOPS_PIPELINE_RUN`` (set by the runner); the
upstream step's tracked run is found through ``step_runs`` (for a cached step, the run that
produced its outputs). Output paths are relative to the pipeline root (the spec's folder).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import pipelines as records
from jupyter_mlops.store import runs as q


@dataclass(frozen=True)
class Upstream:
    """An upstream step's published values."""

    step: str
    run_id: str
    status: str
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    output_notebook: str | None = None


def upstream(step: str, *, pipeline_run: str | None = None, store: Store | None = None) -> Upstream:
    """Read what step ``step`` of the current pipeline run logged.

    Args:
        step: The upstream step's name.
        pipeline_run: The pipeline run id (default: ``MLOPS_PIPELINE_RUN``).
        store: The store (default: the project's, or ``MLOPS_STORE_URI``).

    Returns:
        Its metrics, params, tags, declared outputs (path -> digest) and run id.

    Raises:
        MlopsUsageError: Not inside a pipeline step, or no such step ran.
    """
    pipeline_run = pipeline_run or os.environ.get("MLOPS_PIPELINE_RUN")
    if not pipeline_run:
        raise MlopsUsageError(
            "mlops.upstream() works in a pipeline step (MLOPS_PIPELINE_RUN is not set); "
            "run the notebook with `jupyter-mlops run pipeline.yaml`."
        )
    store = store or current_store()
    rec = records.find_step_in_pipeline_run(store, pipeline_run, step)
    if rec is None or rec.run_id is None:
        raise NotFoundError(f"step {step!r} has no run in pipeline run {pipeline_run[:8]}.")
    if rec.status not in records.DONE:
        raise MlopsUsageError(f"step {step!r} is {rec.status}, not done; it published nothing.")
    run = q.load_run(store, rec.run_id)
    return Upstream(
        step=step,
        run_id=run.id,
        status=rec.status,
        metrics=dict(run.metrics),
        params=dict(run.params),
        tags=dict(run.tags),
        outputs=dict(rec.outputs),
        output_notebook=rec.output_notebook,
    )
