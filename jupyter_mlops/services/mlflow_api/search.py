"""MLflow's ``runs/search``: its filter and ``order_by`` through our filter language (which
reads MLflow's filters as MLflow does), its ``run_view_type`` as our lifecycles, a page at a
time with an opaque token."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jupyter_mlops.services.mlflow_api.errors import MlflowApiError, invalid
from jupyter_mlops.services.mlflow_api.experiments import find_experiment
from jupyter_mlops.services.mlflow_api.tracking import info_json, inputs_json
from jupyter_mlops.services.mlflow_api.wire import (
    HIDDEN_TAG_PREFIX,
    RUN_NAME_TAG,
    Payload,
    double_out,
    max_results,
    page_offset,
    page_token,
)
from jupyter_mlops.store import Store
from jupyter_mlops.store import mlflow_api as q
from jupyter_mlops.store.search import FoundRuns, find_runs

__all__ = ["LIFECYCLES", "page_json", "search_runs"]

SEARCH_LIMIT = 50000
#: MLflow's run_view_type -> our lifecycle.
LIFECYCLES = {"ACTIVE_ONLY": "active", "DELETED_ONLY": "deleted", "ALL": "all"}


def search_runs(store: Store, payload: Payload) -> Payload:
    """``runs/search``: MLflow's filter and order_by through our (MLflow-compatible) language,
    a page at a time."""
    raw = payload.get("experiment_ids") or []
    ids = [raw] if isinstance(raw, str) else list(raw)
    view = str(payload.get("run_view_type") or "ACTIVE_ONLY")
    if view not in LIFECYCLES:
        raise invalid(f"Invalid run_view_type {view!r}: ACTIVE_ONLY, DELETED_ONLY or ALL.")
    limit = max_results(payload, 1000, SEARCH_LIMIT)
    offset = page_offset(payload.get("page_token"))
    found_experiments = []
    for value in ids:
        try:
            found_experiments.append(find_experiment(store, value))
        except MlflowApiError:
            continue  # MLflow finds no runs in an experiment it does not have
    names = [e.name for e in found_experiments]
    order = payload.get("order_by") or []
    order = [order] if isinstance(order, str) else list(order)
    if not ids or not names:
        # Validate the filter and order anyway: a bad one is a 400 whatever the experiments.
        find_runs(store, payload.get("filter") or None, order_by=order, limit=0)
        return {}
    found = find_runs(
        store,
        payload.get("filter") or None,
        experiments=names,
        order_by=order,
        limit=limit + 1,
        offset=offset,
        lifecycle=LIFECYCLES[view],
    )
    rows = list(found.rows)
    more = len(rows) > limit
    rows = rows[:limit]
    experiment_ids = {e.name: e.id for e in found_experiments}
    renamed = {str(r[2]) for r in rows} - experiment_ids.keys()
    if renamed:  # an experiment renamed since it was looked up
        experiment_ids |= q.experiment_ids(store, renamed)
    inputs = q.dataset_inputs(store, [str(row[0]) for row in rows])
    runs = page_json(rows, found, experiment_ids, inputs)
    out: Payload = {"runs": runs} if runs else {}
    if more:
        out["next_page_token"] = page_token(offset + limit)
    return out


def page_json(
    rows: Sequence[Sequence[Any]],
    found: FoundRuns,
    experiment_ids: dict[str, int],
    inputs: dict[str, list[q.DatasetInput]] | None = None,
) -> list[dict[str, Any]]:
    """MLflow's runs of a page (``rows`` and the cells of ``found`` about them), as
    :func:`~jupyter_mlops.services.mlflow_api.tracking.data_json` shows one run: values in
    key order, our bookkeeping tags left out, the run's name as its runName tag.

    Built straight from the cells (a page of 1,000 runs is some 10,000 of them): no dict
    per run and kind first.
    """
    size = len(rows)
    params: list[list[tuple[str, str]]] = [[] for _ in range(size)]
    metrics: list[list[tuple[str, Any]]] = [[] for _ in range(size)]
    tags: list[list[tuple[str, str]]] = [[] for _ in range(size)]
    for i, key, value in found.params:
        if i < size:
            params[i].append((key, value))
    for i, key, value in found.metrics:
        if i < size:
            metrics[i].append((key, value))
    for i, key, value in found.tags:
        if i < size and key != RUN_NAME_TAG and not key.startswith(HIDDEN_TAG_PREFIX):
            tags[i].append((key, value))
    runs = []
    for i, row in enumerate(rows):
        rid, name, experiment, status, start, end, user, _parent, deleted = row
        name = str(name)
        tags[i].append((RUN_NAME_TAG, name))
        runs.append(
            {
                "info": info_json(
                    str(rid),
                    name,
                    experiment_ids[str(experiment)],
                    status,
                    start,
                    end,
                    user,
                    deleted,
                ),
                "data": {
                    "metrics": [
                        {"key": k, "value": "NaN" if v is None else double_out(float(v))}
                        for k, v in sorted(metrics[i])
                    ],
                    "params": [{"key": k, "value": v} for k, v in sorted(params[i])],
                    "tags": [{"key": k, "value": v} for k, v in sorted(tags[i])],
                },
                "inputs": inputs_json((inputs or {}).get(str(rid), [])),
                "outputs": {},
            }
        )
    return runs
