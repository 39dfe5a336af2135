"""MLflow's experiments over ours: ids are ours as strings; MLflow's ``"0"`` (its Default
experiment) is ours named by the ``experiment`` setting."""

from __future__ import annotations

from typing import Any

from jupyter_mlops.config import load_config
from jupyter_mlops.services.mlflow_api.errors import invalid, missing
from jupyter_mlops.services.mlflow_api.wire import (
    Payload,
    max_results,
    ms,
    name_matcher,
    page_offset,
    page_token,
    text,
)
from jupyter_mlops.store import Store
from jupyter_mlops.store import mlflow_api as q

__all__ = [
    "create_experiment",
    "experiment_id",
    "experiment_json",
    "find_experiment",
    "get_experiment",
    "get_experiment_by_name",
    "search_experiments",
    "update_experiment",
]

SEARCH_LIMIT = 50000


def experiment_json(e: q.Experiment) -> dict[str, Any]:
    """An experiment as MLflow's ``Experiment`` message."""
    return {
        "experiment_id": str(e.id),
        "name": e.name,
        "artifact_location": f"mlflow-artifacts:/{e.id}",
        "lifecycle_stage": "active",
        "creation_time": ms(e.created_at),
        "last_update_time": ms(e.last_update),
        "tags": [],
    }


def experiment_id(store: Store, value: Any) -> int:
    """Our id of the experiment MLflow's id ``value`` names (``"0"``: the default one).

    Raises:
        MlflowApiError: not a whole number (INVALID_PARAMETER_VALUE).
    """
    text_id = str(value if value is not None else "").strip()
    if text_id == "0":
        return q.ensure_experiment(store, load_config().experiment)
    if not text_id.isdigit():
        raise invalid(f"Invalid experiment id {value!r}: experiment ids are whole numbers.")
    return int(text_id)


def find_experiment(store: Store, value: Any) -> q.Experiment:
    """The experiment MLflow's id ``value`` names.

    Raises:
        MlflowApiError: a malformed id, or no such experiment (RESOURCE_DOES_NOT_EXIST).
    """
    number_id = experiment_id(store, value)
    try:
        return q.experiment(store, id=number_id)
    except LookupError:
        raise missing(f"No Experiment with id={value} exists") from None


def create_experiment(store: Store, payload: Payload) -> Payload:
    """``experiments/create``: a new experiment (RESOURCE_ALREADY_EXISTS when the name is)."""
    name = text(payload, "name")
    if len(name) > 255:
        raise invalid("An experiment name is at most 255 characters.")
    return {"experiment_id": str(q.create_experiment(store, name))}


def get_experiment(store: Store, payload: Payload) -> Payload:
    """``experiments/get``."""
    return {"experiment": experiment_json(find_experiment(store, text(payload, "experiment_id")))}


def get_experiment_by_name(store: Store, payload: Payload) -> Payload:
    """``experiments/get-by-name``."""
    name = text(payload, "experiment_name")
    try:
        found = q.experiment(store, name=name)
    except LookupError:
        raise missing(f"Could not find experiment with name '{name}'") from None
    return {"experiment": experiment_json(found)}


def search_experiments(store: Store, payload: Payload) -> Payload:
    """``experiments/search``: every experiment a page at a time (newest first, as MLflow)."""
    matches = name_matcher(str(payload.get("filter") or ""))
    if str(payload.get("view_type") or "ACTIVE_ONLY") == "DELETED_ONLY":
        return {"experiments": []}
    limit = max_results(payload, 1000, SEARCH_LIMIT)
    offset = page_offset(payload.get("page_token"))
    found = [e for e in q.experiments(store) if matches(e.name)]
    found.sort(key=lambda e: (-e.created_at, -e.id))
    page = found[offset : offset + limit]
    out: Payload = {"experiments": [experiment_json(e) for e in page]}
    if offset + limit < len(found):
        out["next_page_token"] = page_token(offset + limit)
    return out


def update_experiment(store: Store, payload: Payload) -> Payload:
    """``experiments/update``: rename."""
    found = find_experiment(store, text(payload, "experiment_id"))
    q.rename_experiment(store, found.id, text(payload, "new_name"))
    return {}
