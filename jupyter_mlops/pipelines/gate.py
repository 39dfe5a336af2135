"""A step's gate, checked on the run that holds the step's result (new or cached)."""

from __future__ import annotations

import time

from jupyter_mlops.expressions import evaluate
from jupyter_mlops.models.reproducible import check_reproducible, parse_reproducible
from jupyter_mlops.store import Store
from jupyter_mlops.store import runs as q


def gate_failure(store: Store, gate: str, run_id: str | None) -> str | None:
    """The gate's message when it does not hold on run ``run_id``, else None."""
    step_run = None
    if run_id is not None:
        for _ in range(2):
            try:
                step_run = q.load_run(store, run_id)
                break
            except Exception:  # noqa: BLE001 - a transient read error: try once more
                time.sleep(0.05)
    if step_run is None:
        return "could not read the step's run"
    tolerance = parse_reproducible(gate)
    if tolerance is not None:
        # Certified by `jupyter-mlops reproduce RUN` of this run or of an earlier run of the
        # step with the same cache key: the same code, params and data were proven.
        with store.read() as conn:
            certified = check_reproducible(
                conn,
                gate,
                tolerance,
                run_id=step_run.id,
                model_version_id=None,
                label=step_run.short_id,
                same_step=True,
            )
        return None if certified.passed else certified.message
    context = {"metrics": step_run.metrics, "params": step_run.params, "tags": step_run.tags}
    result = evaluate(gate, context)
    return None if result.passed else result.message
