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
    page_offset,
    page_token,
    pair_list,
    pairs,
    record_matcher,
    text,
)
from jupyter_mlops.store import Store
from jupyter_mlops.store import mlflow_api as q
from jupyter_mlops.tracking.checks import check_key

__all__ = [
    "create_experiment",
    "delete_experiment_tag",
    "experiment_id",
    "experiment_json",
    "find_experiment",
    "get_experiment",
    "get_experiment_by_name",
    "search_experiments",
    "set_experiment_tag",
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
        "tags": pair_list(e.tags),
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
    tags = pairs(payload, "tags")
    for key in tags:
        check_key("tag", key)
    return {"experiment_id": str(q.create_experiment(store, name, tags))}


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
    matches = record_matcher(str(payload.get("filter") or ""))
    if str(payload.get("view_type") or "ACTIVE_ONLY") == "DELETED_ONLY":
        return {"experiments": []}
    limit = max_results(payload, 1000, SEARCH_LIMIT)
    offset = page_offset(payload.get("page_token"))
    found = [e for e in q.experiments(store) if matches(e.name, e.tags)]
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


def set_experiment_tag(store: Store, payload: Payload) -> Payload:
    """``experiments/set-experiment-tag`` (an experiment's description is its
    ``mlflow.note.content`` tag)."""
    found = find_experiment(store, text(payload, "experiment_id"))
    key = text(payload, "key")
    check_key("tag", key)
    value = payload.get("value")
    q.set_experiment_tags(store, found.id, {key: "" if value is None else str(value)})
    return {}


def delete_experiment_tag(store: Store, payload: Payload) -> Payload:
    """``experiments/delete-experiment-tag`` (RESOURCE_DOES_NOT_EXIST without such a tag)."""
    found = find_experiment(store, text(payload, "experiment_id"))
    key = text(payload, "key")
    if not q.delete_experiment_tag(store, found.id, key):
        raise missing(f"No tag with name: {key} in experiment with id {found.id}")
    return {}
