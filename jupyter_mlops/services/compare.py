"""Runs side by side: every face's comparison (the panel, ``compare`` on the command line, REST).

The runs come in the order asked (a run named twice once); params and metrics in code-point
order; a metric logged at more than one step brings its curves, for the first few metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.services.runs import metric_points
from jupyter_mlops.services.schema import (
    ComparedCurve,
    ComparedMetric,
    ComparedParam,
    ComparedRun,
    CompareQuery,
    RunComparison,
    RunStatus,
)
from jupyter_mlops.store import Store
from jupyter_mlops.store.records import RunRecord
from jupyter_mlops.store.runs import load_run

#: Metrics whose curves a comparison carries (the rest are in its table of latest values).
MAX_CURVES = 6


def _load(store: Store, refs: Sequence[str]) -> tuple[list[RunRecord], list[str]]:
    found: dict[str, RunRecord] = {}
    missing: list[str] = []
    for ref in dict.fromkeys(refs):
        try:
            run = load_run(store, ref)
        except (NotFoundError, MlopsUsageError) as exc:
            missing.append(str(exc))
            continue
        found.setdefault(run.id, run)
    return list(found.values()), missing


def compare(store: Store, query: CompareQuery) -> RunComparison:
    """Runs ``query.run`` side by side: params (differences marked), metrics, curves.

    A ref that names no run is listed in ``missing``; the others are still compared.

    Raises:
        MlopsUsageError: fewer than two runs asked.
        NotFoundError: fewer than two of them found (the message names the missing ones).
    """
    refs = [ref.strip() for ref in query.run if ref.strip()]
    if len(dict.fromkeys(refs)) < 2:
        raise MlopsUsageError("Give two runs or more to compare (ids, short ids or names).")
    runs, missing = _load(store, refs)
    if len(runs) < 2:
        raise NotFoundError(
            " ".join([*missing, f"Comparing needs two runs or more; found {len(runs)}."])
        )
    param_keys = sorted({key for run in runs for key in run.params})
    metric_keys = sorted({key for run in runs for key in run.metrics})
    params = []
    for key in param_keys:
        values = [run.params.get(key) for run in runs]
        params.append(ComparedParam(key=key, values=values, differs=len(set(values)) > 1))
    metrics = [
        ComparedMetric(key=key, values=[run.metrics.get(key) for run in runs])
        for key in metric_keys
    ]
    return RunComparison(
        runs=[
            ComparedRun(
                run_id=run.id,
                short_id=run.short_id,
                name=run.name,
                label=run.label,
                experiment=run.experiment,
                status=cast(RunStatus, run.status),
            )
            for run in runs
        ],
        missing=missing,
        params=params,
        metrics=metrics,
        curves=_curves(store, runs, metric_keys[:MAX_CURVES]),
    )


def _curves(store: Store, runs: list[RunRecord], keys: list[str]) -> list[ComparedCurve]:
    curves = []
    for key in keys:
        lines = [metric_points(store, run.id, key) for run in runs if key in run.metrics]
        if any(len(line.points) > 1 for line in lines):
            curves.append(ComparedCurve(key=key, runs=lines))
    return curves
