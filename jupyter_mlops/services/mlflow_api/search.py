"""MLflow's ``runs/search``: its filter and ``order_by`` through our filter language (which
reads MLflow's filters as MLflow does), its ``run_view_type`` as our lifecycles, a page at a
time with an opaque token."""

from __future__ import annotations

from jupyter_mlops.services.mlflow_api.errors import MlflowApiError, invalid
from jupyter_mlops.services.mlflow_api.experiments import find_experiment
from jupyter_mlops.services.mlflow_api.tracking import data_json, info_json
from jupyter_mlops.services.mlflow_api.wire import Payload, max_results, page_offset, page_token
from jupyter_mlops.store import Store
from jupyter_mlops.store import mlflow_api as q
from jupyter_mlops.store.search import find_runs

__all__ = ["LIFECYCLES", "search_runs"]

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
    names = []
    for value in ids:
        try:
            names.append(find_experiment(store, value).name)
        except MlflowApiError:
            continue  # MLflow finds no runs in an experiment it does not have
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
    experiment_ids = q.experiment_ids(store, {str(r[2]) for r in rows})
    cells: list[tuple[dict[str, str], dict[str, float], dict[str, str]]] = [
        ({}, {}, {}) for _ in rows
    ]
    for i, key, value in found.params:
        if i < limit:
            cells[i][0][str(key)] = str(value)
    for i, key, value in found.metrics:
        if i < limit:
            cells[i][1][str(key)] = float("nan") if value is None else float(value)
    for i, key, value in found.tags:
        if i < limit:
            cells[i][2][str(key)] = str(value)
    runs = []
    for row, (params, metrics, tags) in zip(rows, cells, strict=True):
        rid, name, experiment, status, start, end, user, _parent, deleted = row
        exp_id = experiment_ids[str(experiment)]
        runs.append(
            {
                "info": info_json(str(rid), str(name), exp_id, status, start, end, user, deleted),
                "data": data_json(str(name), params, metrics, tags),
                "inputs": {},
                "outputs": {},
            }
        )
    out: Payload = {"runs": runs} if runs else {}
    if more:
        out["next_page_token"] = page_token(offset + limit)
    return out
