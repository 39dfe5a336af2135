"""MLflow's runs over ours: create, read, update, log params, metrics and tags, delete.

Run ids are ours (32 hex, as MLflow's). A run's name is MLflow's ``mlflow.runName`` tag,
shown in every answer and renamed by setting that tag.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from jupyter_mlops.services import runs
from jupyter_mlops.services.mlflow_api.errors import invalid, missing
from jupyter_mlops.services.mlflow_api.experiments import find_experiment
from jupyter_mlops.services.mlflow_api.wire import (
    HIDDEN_TAG_PREFIX,
    INT64_MAX,
    INT64_MIN,
    RUN_NAME_TAG,
    STATUS_IN,
    STATUS_OUT,
    Payload,
    double_out,
    max_results,
    ms,
    number,
    page_offset,
    page_token,
    pair_list,
    pairs,
    run_id,
    seconds,
    text,
    visible,
    whole,
)
from jupyter_mlops.services.schema import RunRefs
from jupyter_mlops.store import Store
from jupyter_mlops.store import mlflow_api as q
from jupyter_mlops.store.metric_history import metric_history
from jupyter_mlops.store.records import RunRecord
from jupyter_mlops.store.runs import load_run, run_head
from jupyter_mlops.tracking.checks import check_key
from jupyter_mlops.tracking.names import readable_name

PARENT_TAG = "mlflow.parentRunId"
#: MLflow's limits on one log-batch request.
MAX_BATCH_METRICS, MAX_BATCH_PARAMS, MAX_BATCH_TAGS = 1000, 100, 100
MAX_PARAM_VALUE = 6000


def artifact_uri(experiment: int, run: str) -> str:
    """Where MLflow's client puts the files of a run (our artifacts endpoint maps it back)."""
    return f"mlflow-artifacts:/{experiment}/{run}/artifacts"


def info_json(
    run_id: str,
    name: str,
    experiment: int,
    status: str,
    start: float,
    end: float | None,
    user: str | None,
    deleted: float | None = None,
) -> dict[str, Any]:
    info: dict[str, Any] = {
        "run_id": run_id,
        "run_uuid": run_id,
        "run_name": name,
        "experiment_id": str(experiment),
        "user_id": user or "",
        "status": STATUS_OUT.get(status, "KILLED"),
        "start_time": ms(start),
        "artifact_uri": artifact_uri(experiment, run_id),
        "lifecycle_stage": "active" if deleted is None else "deleted",
    }
    if end is not None:
        info["end_time"] = ms(end)
    return info


def data_json(
    name: str, params: dict[str, str], metrics: dict[str, float], tags: dict[str, str]
) -> dict[str, Any]:
    shown = visible(tags)
    shown[RUN_NAME_TAG] = name
    return {
        "metrics": [{"key": k, "value": double_out(v)} for k, v in sorted(metrics.items())],
        "params": pair_list(params),
        "tags": pair_list(shown),
    }


def _run_json(store: Store, run: RunRecord) -> dict[str, Any]:
    experiment = q.run_experiment_ids(store, [run.id])[run.id]
    return {
        "info": info_json(
            run.id,
            run.name,
            experiment,
            run.status,
            run.start_time,
            run.end_time,
            run.user,
            run.deleted_at,
        ),
        "data": data_json(run.name, run.params, run.metrics, run.tags),
        "inputs": inputs_json(q.dataset_inputs(store, [run.id]).get(run.id, [])),
        "outputs": {},
    }


def inputs_json(found: list[q.DatasetInput]) -> dict[str, Any]:
    """A run's dataset inputs as MLflow's ``RunInputs`` message."""
    if not found:
        return {}
    items = []
    for d in found:
        dataset: dict[str, Any] = {"name": d.name, "digest": d.digest}
        dataset |= {"source_type": d.source_type, "source": d.source}
        dataset |= {k: v for k, v in (("schema", d.schema), ("profile", d.profile)) if v}
        items.append({"tags": pair_list(d.tags), "dataset": dataset})
    return {"dataset_inputs": items}


def log_inputs(store: Store, payload: Payload) -> Payload:
    """``runs/log-inputs``: datasets (name, digest, source; no content) with their context.
    Logged models given as inputs (MLflow 3) are accepted and not kept."""
    ref = existing_run(store, run_id(payload), active=True)
    items = payload.get("datasets") or []
    if not isinstance(items, list):
        raise invalid("Parameter 'datasets' must be a list of dataset inputs.")
    found = []
    for item in items:
        dataset = item.get("dataset") if isinstance(item, dict) else None
        if not isinstance(dataset, dict):
            raise invalid("Each item of 'datasets' needs a 'dataset' object.")
        name, digest = dataset.get("name"), dataset.get("digest")
        if not isinstance(name, str) or not name or not isinstance(digest, str) or not digest:
            raise invalid("A dataset needs a non-empty string 'name' and 'digest'.")
        if len(digest) > 64:
            raise invalid(f"A dataset digest is at most 64 characters, not {len(digest)}.")
        tags = pairs(item, "tags")
        found.append(
            q.DatasetInput(
                name=name,
                digest=digest,
                source_type=str(dataset.get("source_type") or ""),
                source=str(dataset.get("source") or ""),
                schema=dataset.get("schema") or None,
                profile=dataset.get("profile") or None,
                tags=tags,
            )
        )
    q.add_dataset_inputs(store, ref, found)
    return {}


def existing_run(store: Store, value: str, *, active: bool = False) -> str:
    """``value`` when it is the full id of a run (``active``: not deleted, to be written).

    Raises:
        MlflowApiError: no run has that id (RESOURCE_DOES_NOT_EXIST), or it is deleted and
            ``active`` is asked (INVALID_PARAMETER_VALUE, as MLflow answers).
    """
    found, deleted = (False, None) if len(value) > 32 else q.run_state(store, value)
    return _checked(value, found, deleted, active=active)


def _checked(value: str, found: bool, deleted: float | None, *, active: bool) -> str:
    """``value``, or the error :func:`existing_run` raises for a run in that state."""
    if not found:
        raise missing(f"Run with id={value} not found")
    if active and deleted is not None:
        raise invalid(
            f"The run {value} must be in the 'active' state. Current state is deleted: "
            "restore it first (MlflowClient().restore_run)."
        )
    return value


def create_run(store: Store, payload: Payload) -> Payload:
    """``runs/create``: a new RUNNING run (its name from ``run_name`` or the runName tag)."""
    experiment = find_experiment(store, payload.get("experiment_id") or "0")
    tags = pairs(payload, "tags")
    for key in tags:
        check_key("tag", key)
    name = text(payload, "run_name", required=False) or tags.pop(RUN_NAME_TAG, "")
    tags.pop(RUN_NAME_TAG, None)
    name = name[:255] or readable_name()
    now = time.time()
    start = seconds(payload["start_time"], "start_time") if payload.get("start_time") else now
    parent = tags.get(PARENT_TAG)
    new_id = uuid.uuid4().hex
    q.insert_run(
        store,
        {
            "id": new_id,
            "name": name,
            "experiment_id": experiment.id,
            "status": "running",
            "start_time": start,
            "heartbeat": now,
            "user_name": text(payload, "user_id", required=False) or tags.get("mlflow.user"),
            # No host or pid: the client's process is not ours to watch, only its heartbeat.
            "host": None,
            "pid": None,
            "parent_id": parent if parent and run_head(store, parent) is not None else None,
        },
        tags,
    )
    return {"run": _run_json(store, load_run(store, new_id))}


def get_run(store: Store, payload: Payload) -> Payload:
    """``runs/get``."""
    return {"run": _run_json(store, load_run(store, existing_run(store, run_id(payload))))}


def update_run(store: Store, payload: Payload) -> Payload:
    """``runs/update``: status, end time and name."""
    ref = existing_run(store, run_id(payload), active=True)
    values: dict[str, Any] = {"heartbeat": time.time()}
    status = payload.get("status")
    if status:
        if status not in STATUS_IN:
            raise invalid(f"Invalid run status {status!r}: use one of {', '.join(STATUS_IN)}.")
        values["status"] = STATUS_IN[status]
        values["error"] = None  # the client's word replaces a reader's "killed: silent"
        if values["status"] == "running":
            values["end_time"] = None
        else:
            end = payload.get("end_time")
            values["end_time"] = seconds(end, "end_time") if end else time.time()
    elif payload.get("end_time"):
        values["end_time"] = seconds(payload["end_time"], "end_time")
    name = text(payload, "run_name", required=False)
    if name:
        values["name"] = name[:255]
    q.update_run(store, ref, values)
    run = load_run(store, ref)
    return {"run_info": _run_json(store, run)["info"]}


def _points(items: Any) -> list[tuple[str, int, float, float]]:
    if not isinstance(items, list):
        raise invalid("Parameter 'metrics' must be a list.")
    points = []
    checked: set[str] = set()  # a batch repeats a few keys: each is checked once
    for item in items:
        if not isinstance(item, dict):
            raise invalid("Each metric is an object with key, value, timestamp and step.")
        key = item.get("key")
        if type(key) is not str or key not in checked:
            key = check_key("metric", key)
            checked.add(key)
        if "value" not in item:
            raise invalid(f"Missing value for required parameter 'value' of metric {key!r}.")
        # What MLflow's client sends (a float, int milliseconds and step) is taken as it is;
        # anything else goes through the checks.
        value = item["value"]
        if type(value) is not float:
            value = number(value, "value")
        stamp = item.get("timestamp")
        if type(stamp) is int:
            ts = stamp / 1000.0
        else:
            ts = seconds(stamp, "timestamp") if stamp not in (None, "") else time.time()
        step = item.get("step") or 0
        if type(step) is not int or not INT64_MIN <= step <= INT64_MAX:
            step = whole(step, "step")
        points.append((key, step, value, ts))
    return points


def _params(store: Store, ref: str, params: dict[str, str]) -> dict[str, str]:
    for key, value in params.items():
        check_key("param", key)
        if len(value) > MAX_PARAM_VALUE:
            raise invalid(
                f"Param value of {key!r} is {len(value)} characters; at most {MAX_PARAM_VALUE}."
            )
    for key, old in q.params_of(store, ref, params).items():
        if old != params[key]:
            raise invalid(
                f"Changing param values is not allowed. Param with key='{key}' was already "
                f"logged with value='{old}' for run ID='{ref}'. Attempted logging new value "
                f"'{params[key]}'."
            )
    return params


def _tags(store: Store, ref: str, tags: dict[str, str]) -> dict[str, Any]:
    """The columns of run ``ref`` that ``tags`` set: its name and parent (the tags themselves
    are stored too, except the name's)."""
    for key in tags:
        check_key("tag", key)
        if key.startswith(HIDDEN_TAG_PREFIX):
            raise invalid(f"Tags starting with {HIDDEN_TAG_PREFIX!r} are reserved.")
    values: dict[str, Any] = {}
    if RUN_NAME_TAG in tags:
        values["name"] = tags.pop(RUN_NAME_TAG)[:255] or ref[:8]
    parent = tags.get(PARENT_TAG)
    if parent and run_head(store, parent) is not None:
        values["parent_id"] = parent
    return values


def log_batch(store: Store, payload: Payload) -> Payload:
    """``runs/log-batch``: up to 1,000 metric points, 100 params and 100 tags at once.

    A run that does not exist or is deleted is the answer whatever else is wrong with the
    batch. The run is looked up by the write itself (its heartbeat is the first statement),
    and only when the batch is refused: one transaction for a good batch.
    """
    ref = run_id(payload)
    try:
        metrics = _points(payload.get("metrics") or [])
        params = pairs(payload, "params")
        tags = pairs(payload, "tags")
        for what, items, limit in (
            ("metrics", metrics, MAX_BATCH_METRICS),
            ("params", params, MAX_BATCH_PARAMS),
            ("tags", tags, MAX_BATCH_TAGS),
        ):
            if len(items) > limit:
                raise invalid(f"A batch may hold at most {limit} {what}; it held {len(items)}.")
        params = _params(store, ref, params)
        columns = _tags(store, ref, tags)
    except Exception:
        existing_run(store, ref, active=True)
        raise
    found, deleted = q.log_batch(
        store, ref, params=params, tags=tags, metrics=metrics, run=columns, active=True
    )
    _checked(ref, found, deleted, active=True)
    return {}


def log_metric(store: Store, payload: Payload) -> Payload:
    """``runs/log-metric``."""
    return log_batch(store, {"run_id": run_id(payload), "metrics": [payload]})


def log_param(store: Store, payload: Payload) -> Payload:
    """``runs/log-parameter``."""
    key = text(payload, "key")
    value = payload.get("value")
    item = {"key": key, "value": "" if value is None else str(value)}
    return log_batch(store, {"run_id": run_id(payload), "params": [item]})


def set_tag(store: Store, payload: Payload) -> Payload:
    """``runs/set-tag``."""
    item = {"key": text(payload, "key"), "value": str(payload.get("value") or "")}
    return log_batch(store, {"run_id": run_id(payload), "tags": [item]})


def delete_tag(store: Store, payload: Payload) -> Payload:
    """``runs/delete-tag`` (RESOURCE_DOES_NOT_EXIST when the run has no such tag)."""
    ref = existing_run(store, run_id(payload), active=True)
    key = text(payload, "key")
    if key == RUN_NAME_TAG or not q.delete_tag(store, ref, key):
        raise missing(f"No tag with name: {key} in run with id {ref}")
    return {}


def log_model(store: Store, payload: Payload) -> Payload:
    """``runs/log-model``: MLflow 2's record of a logged model, kept in its history tag."""
    ref = existing_run(store, run_id(payload), active=True)
    model = json.loads(text(payload, "model_json"))
    tag = "mlflow.log-model.history"
    history = json.loads(load_run(store, ref).tags.get(tag) or "[]")
    history.append(model)
    found, deleted = q.log_batch(
        store, ref, params={}, tags={tag: json.dumps(history)}, metrics=[], active=True
    )
    _checked(ref, found, deleted, active=True)
    return {}


def get_metric_history(store: Store, payload: Payload) -> Payload:
    """``metrics/get-history``: every point of one metric, by step then time."""
    ref = existing_run(store, run_id(payload))
    key = text(payload, "metric_key")
    points = metric_history(store, ref, key)
    offset = page_offset(payload.get("page_token"))
    limit = max_results(payload, 25000, 25000) if payload.get("max_results") else len(points)
    page = points[offset : offset + limit] if limit else []
    out: Payload = {
        "metrics": [
            {"key": key, "value": double_out(p.value), "timestamp": ms(p.timestamp), "step": p.step}
            for p in page
        ]
    }
    if limit and offset + limit < len(points):
        out["next_page_token"] = page_token(offset + limit)
    return out


def delete_run(store: Store, payload: Payload) -> Payload:
    """``runs/delete``: a soft delete (``restore_run`` brings it back; ``gc`` purges later)."""
    ref = existing_run(store, run_id(payload))
    runs.delete(store, RunRefs(runs=[ref]))
    return {}


def restore_run(store: Store, payload: Payload) -> Payload:
    """``runs/restore``."""
    ref = existing_run(store, run_id(payload))
    runs.restore(store, RunRefs(runs=[ref]))
    return {}


__all__ = [
    "artifact_uri",
    "create_run",
    "data_json",
    "delete_run",
    "delete_tag",
    "existing_run",
    "get_metric_history",
    "get_run",
    "info_json",
    "inputs_json",
    "log_batch",
    "log_inputs",
    "log_metric",
    "log_model",
    "log_param",
    "restore_run",
    "set_tag",
    "update_run",
]
