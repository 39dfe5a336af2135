"""Reproduce one run from its record: slice, data, environment, execution, verdict.

:func:`reproduce_run` is the whole procedure; the service (``services.reproduce``) resolves
what to reproduce and stores the certificate. When the first execution's results differ from
the original, the slice runs a second time: two executions that differ from each other mean
the code is nondeterministic; otherwise the cause is looked for in the data the reproduction
read (a digest that changed) and the environment (a package version that changed).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.pipelines.kernels import KernelPool
from jupyter_mlops.reproduction.environment import EnvDifference, compare_environment
from jupyter_mlops.reproduction.execute import Execution, execute_slice
from jupyter_mlops.reproduction.materialize import restore_inputs
from jupyter_mlops.reproduction.predictions import PredictionCheck, compare_predictions
from jupyter_mlops.reproduction.probe import probe_code
from jupyter_mlops.reproduction.slicing import (
    SESSION_LOG,
    RecordedCell,
    Slice,
    build_slice,
    merge,
    session_cells,
)
from jupyter_mlops.reproduction.verdict import (
    NOT_REPRODUCED,
    Comparison,
    Difference,
    Predict,
    compare_runs,
)
from jupyter_mlops.store import Store
from jupyter_mlops.store import models as stored_models
from jupyter_mlops.store.records import ModelRecord, RunRecord
from jupyter_mlops.store.runs import load_run

#: The tag capture sets on a run whose cells used names defined out of order (issue 20).
HIDDEN_STATE_TAG = "mlops.hidden_state"


@dataclass
class Outcome:
    """What a reproduction found."""

    original: RunRecord
    sliced: Slice
    verdict: str
    message: str
    cause: str | None = None
    comparison: Comparison = field(default_factory=Comparison)
    environment: list[EnvDifference] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    executions: list[Execution] = field(default_factory=list)

    @property
    def reproduction_run_id(self) -> str | None:
        return self.executions[0].run_id if self.executions else None


def recorded_cells(store: Store, run: RunRecord) -> tuple[list[RecordedCell], bool]:
    """The run's cells, after the session log's earlier cells when the run has one."""
    tracked = [
        RecordedCell(c.execution_count, c.source, True, c.status)
        for c in run.cells
        if c.status == "ok"
    ]
    log = next((a for a in run.artifacts if a.path == SESSION_LOG), None)
    if log is None:
        return tracked, False
    before, truncated = session_cells(store.objects.read_bytes(log.digest))
    return merge(before, tracked), truncated


def _dataset_names(store: Store, run_id: str) -> dict[str, str]:
    with store.read() as conn:
        links = stored_models.dataset_links(conn, run_id)
    return {str(link["digest"]): f"{link['dataset']} v{link['version']}" for link in links}


def _recorded_digests(run: RunRecord) -> dict[str, str]:
    roles = {"evaluation": 0, "training": 1}
    found: dict[str, str] = {}
    for item in run.inputs:
        known = roles.get(found.get(item.digest, ""), 9)
        if item.kind in ("array", "frame") and item.role in roles and roles[item.role] < known:
            found[item.digest] = item.role
    return found


def reproduce_run(
    store: Store,
    ref: str,
    *,
    tolerance: float = 0.0,
    strict: bool = False,
    timeout: float | None = None,
    pool: KernelPool | None = None,
) -> Outcome:
    """Re-execute run ``ref``'s slice from its record in a clean kernel and compare.

    Raises:
        MlopsUsageError: the run recorded no cells, or (``strict``) the environment differs.
        DataUnavailable: a recorded data file cannot be restored (names the dataset).
        NotFoundError: no such run.
    """
    original = load_run(store, ref)
    cells, truncated = recorded_cells(store, original)
    sliced = build_slice(cells, truncated=truncated)
    code = sliced.code()
    if not code:
        raise MlopsUsageError(
            f"Run {original.label} recorded no cells to re-execute; only runs tracked in a "
            "notebook (%mlops track, a pipeline step) can be reproduced."
        )
    environment = compare_environment(original.environment)
    if strict and environment:
        raise MlopsUsageError(
            f"Refusing to reproduce {original.label} with --strict: the environment differs "
            f"({'; '.join(map(str, environment[:3]))}). Install the recorded versions or drop "
            "--strict."
        )
    outcome = Outcome(original, sliced, NOT_REPRODUCED, "", environment=environment)
    own_pool = pool is None
    pool = pool or KernelPool(size=2)
    folder = Path(tempfile.mkdtemp(prefix="mlops-reproduce-"))
    try:
        restored = restore_inputs(
            original.inputs,
            folder,
            store.objects,
            datasets=_dataset_names(store, original.id),
        )
        outcome.data = [f"{r.source} ({r.digest[:12]})" for r in restored]
        probe = probe_code(_recorded_digests(original), folder)
        pool.prepare(2)  # a second kernel warms up in case the results differ
        first = execute_slice(
            store, original, [*code, probe], folder=folder, attempt=1, pool=pool, timeout=timeout
        )
        outcome.executions.append(first)
        if not first.ok:
            outcome.cause = "error"
            hint = ""
            if first.error and "FileNotFoundError" in first.error:
                hint = "; only files read in tracked cells are in the record"
            outcome.message = (
                f"not reproduced: the slice failed: {first.error} "
                f"(see run {first.run_id[:8]}'s report.ipynb){hint}"
            )
            return outcome
        comparison = _compare(store, original, first.run_id, folder, tolerance)
        outcome.comparison = comparison
        outcome.verdict = comparison.verdict
        if comparison.same:
            outcome.message = _success(outcome)
            return outcome
        second = execute_slice(
            store, original, [*code, probe], folder=folder, attempt=2, pool=pool, timeout=timeout
        )
        outcome.executions.append(second)
        outcome.cause = _cause(store, original, first, second, folder, tolerance, environment)
        outcome.message = f"not reproduced: {outcome.cause}: {comparison.differences[0]}"
        return outcome
    finally:
        pool.prepare(0)
        if own_pool:
            pool.close()
        shutil.rmtree(folder, ignore_errors=True)


def _success(outcome: Outcome) -> str:
    within = outcome.comparison.within
    if not within:
        return "reproduced: every metric and model matches the record"
    return f"reproduced within tolerance: {within[0]}"


def _predictor(store: Store, folder: Path, tolerance: float) -> Predict:
    def predict(a: ModelRecord, b: ModelRecord) -> PredictionCheck:
        return compare_predictions(store.objects, a, b, folder, tolerance=tolerance)

    return predict


def _compare(
    store: Store, original: RunRecord, run_id: str, folder: Path, tolerance: float
) -> Comparison:
    again = load_run(store, run_id)
    return compare_runs(
        original.metrics,
        original.models,
        again.metrics,
        again.models,
        tolerance=tolerance,
        predict=_predictor(store, folder, tolerance),
    )


def _cause(
    store: Store,
    original: RunRecord,
    first: Execution,
    second: Execution,
    folder: Path,
    tolerance: float,
    environment: list[EnvDifference],
) -> str:
    if not second.ok:
        return f"nondeterministic (the second execution failed: {second.error})"
    a, b = load_run(store, first.run_id), load_run(store, second.run_id)
    twice = compare_runs(
        a.metrics,
        a.models,
        b.metrics,
        b.models,
        tolerance=tolerance,
        predict=_predictor(store, folder, tolerance),
    )
    if not twice.same:
        return "nondeterministic"
    recorded = {i.digest for i in original.inputs}
    changed = [i for i in a.inputs if i.kind == "file" and i.digest not in recorded]
    if changed:
        return f"data digest changed ({changed[0].source})"
    if environment:
        return f"package version changed ({environment[0]})"
    hidden = original.tags.get(HIDDEN_STATE_TAG)
    if hidden:  # capture flagged cells executed out of order, edited or deleted since
        return f"hidden notebook state ({hidden})"
    return "the recorded cells do not produce the recorded results (hidden notebook state?)"


__all__ = ["Difference", "Outcome", "recorded_cells", "reproduce_run"]
