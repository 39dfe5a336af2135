"""Runs side by side: every face's comparison (the panel, ``compare`` on the command line, REST).

The runs come in the order asked (a run named twice once); params and metrics in code-point
order; the first six metrics a run logged at more than one step bring their curves (or the
metrics asked, or as many as ``curves`` says), each run's history downsampled to
``max_points`` (see :mod:`.downsample`) and carried as columns (steps, values, timestamps).
:func:`space` lays out every run matching a filter by params and metrics, for the
parallel-coordinates plot and the param-vs-metric scatter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.services import runs as run_search
from jupyter_mlops.services.downsample import min_max
from jupyter_mlops.services.schema import (
    DEFAULT_CURVES,
    ComparedCurve,
    ComparedLine,
    ComparedMetric,
    ComparedParam,
    ComparedRun,
    CompareQuery,
    RunComparison,
    RunQuery,
    RunSpace,
    RunSummary,
    SpaceParam,
    SpaceQuery,
)
from jupyter_mlops.store import Store
from jupyter_mlops.store.metric_history import metric_columns, metrics_with_history
from jupyter_mlops.store.runs import resolve_all

#: Metrics whose curves a comparison carries by default (the rest: the table's latest values).
MAX_CURVES = DEFAULT_CURVES


def _load(store: Store, refs: Sequence[str]) -> tuple[list[RunSummary], list[str]]:
    """The runs ``refs`` name, in order, and one line for each that names none.

    Read as one search (params and latest metrics of every run at once), not run by run: a
    comparison of 100 runs is read in one query per table.
    """
    ids, missing = resolve_all(store, list(dict.fromkeys(refs)))
    ids = list(dict.fromkeys(ids))
    if not ids:
        return [], missing
    quoted = ", ".join(f"'{run_id}'" for run_id in ids)
    page = run_search.search(
        store,
        RunQuery(filter=f"run_id IN ({quoted})", lifecycle="all", limit=0, offset=0),
    )
    by_id = {item.run_id: item for item in page.items}
    return [by_id[run_id] for run_id in ids if run_id in by_id], missing


def _compared(run: RunSummary) -> ComparedRun:
    return ComparedRun(
        run_id=run.run_id,
        short_id=run.short_id,
        name=run.name,
        label=f"{run.name} ({run.short_id})",
        experiment=run.experiment,
        status=run.status,
    )


def compare(store: Store, query: CompareQuery) -> RunComparison:
    """Runs ``query.run`` side by side: params (differences marked), metrics, curves.

    A ref that names no run is listed in ``missing``; the others are still compared.

    Raises:
        MlopsUsageError: fewer than two runs asked.
        NotFoundError: fewer than two of them found (the message names the missing ones).
        MlopsUsageError: a curve asked of a metric none of the runs logged.
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
    asked = list(dict.fromkeys(key.strip() for key in query.curve if key.strip()))
    unknown = [key for key in asked if key not in metric_keys]
    if unknown:
        raise MlopsUsageError(
            f"None of these runs logged metric {unknown[0]!r}; "
            f"pick one of: {', '.join(metric_keys) or '(none logged)'}."
        )
    found = metrics_with_history(store, [run.run_id for run in runs])
    history = [key for key in metric_keys if key in found]
    metrics = [
        ComparedMetric(key=key, values=[run.metrics.get(key) for run in runs])
        for key in metric_keys
    ]
    return RunComparison(
        runs=[_compared(run) for run in runs],
        missing=missing,
        params=params,
        metrics=metrics,
        curves=_curves(store, runs, asked or history[: query.curves], query.max_points),
        with_history=history,
    )


def _curves(
    store: Store, runs: list[RunSummary], keys: list[str], limit: int
) -> list[ComparedCurve]:
    """The curves of ``keys``, a metric logged once a one-point curve."""
    curves = []
    for key in keys:
        having = [run for run in runs if key in run.metrics]
        columns = metric_columns(store, [run.run_id for run in having], key)
        lines, logged = [], []
        for run in having:
            found = columns[run.run_id]
            logged.append(len(found.steps))
            steps, values, stamps = found.steps, found.values, found.timestamps
            if len(steps) > limit:
                kept = min_max(values, limit)
                steps = [steps[i] for i in kept]
                values = [values[i] for i in kept]
                stamps = [stamps[i] for i in kept]
            # Built without validation: the store's columns are typed already, and validating
            # 100 runs x 1,000 points again would take longer than reading them.
            lines.append(
                ComparedLine.model_construct(
                    run_id=run.run_id, steps=steps, values=values, timestamps=stamps
                )
            )
        curves.append(
            ComparedCurve(
                key=key, runs=lines, logged=logged, downsampled=any(n > limit for n in logged)
            )
        )
    return curves


def _numeric(values: list[str | None]) -> bool:
    present = [v for v in values if v is not None]
    if not present:
        return False
    try:
        return all(math.isfinite(float(v)) for v in present)
    except ValueError:
        return False


def space(store: Store, query: SpaceQuery) -> RunSpace:
    """Every run matching ``query`` (the newest ``limit``) by params and latest metrics.

    Raises:
        FilterSyntaxError: a filter that does not parse.
        NotFoundError: an unknown experiment.
    """
    page = run_search.search(
        store,
        RunQuery(
            filter=query.filter,
            experiment=query.experiment,
            lifecycle=query.lifecycle,
            limit=query.limit,
            offset=0,
        ),
    )
    items = page.items
    param_keys = sorted({key for item in items for key in item.params})
    metric_keys = sorted({key for item in items for key in item.metrics})
    params = []
    for key in param_keys:
        values = [item.params.get(key) for item in items]
        params.append(
            SpaceParam(key=key, values=values, numeric=_numeric(values), distinct=len(set(values)))
        )
    return RunSpace(
        runs=[_compared(item) for item in items],
        total=page.total,
        params=params,
        metrics=[
            ComparedMetric(key=key, values=[item.metrics.get(key) for item in items])
            for key in metric_keys
        ],
    )
