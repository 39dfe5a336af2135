"""MLflow 3's logged models (``/logged-models``), kept in the run that logged them.

A logged model is a folder of files (``MLmodel`` and the model) that ``mlflow.<flavor>.
log_model`` uploads. Here it belongs to its source run: its files are that run's artifacts
under ``models/<model id>/`` and its record (name, status, params, tags) is a bookkeeping tag
of that run. One logged without a run gets a run of its own, named after it. Once a
scikit-learn model is uploaded (skops, pickle or cloudpickle), it is also the run's logged
model, so our registry, loaders and servers take it like a model logged with our API.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import yaml

from jupyter_mlops.services.mlflow_api import wire
from jupyter_mlops.services.mlflow_api.errors import MlflowApiError, invalid, missing
from jupyter_mlops.services.mlflow_api.experiments import experiment_id
from jupyter_mlops.services.mlflow_api.tracking import create_run, existing_run
from jupyter_mlops.store import Store
from jupyter_mlops.store import mlflow_api as q
from jupyter_mlops.store.runs import load_run, upsert_logged_model

__all__ = [
    "PREFIX",
    "create",
    "delete_tag",
    "finalize",
    "get",
    "holder_run",
    "log_params",
    "search",
    "set_tags",
    "sklearn_model",
]

#: Where a logged model's files sit among its run's artifacts: ``models/<model id>/...``.
PREFIX = "models"
TAG = wire.HIDDEN_TAG_PREFIX + "model."
_ID = re.compile(r"m-[0-9a-f]{32}")
_STATUSES = ("LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED")


def _meta(store: Store, model_id: str) -> tuple[str, dict[str, Any]]:
    if not _ID.fullmatch(model_id):
        raise missing(f"Logged model with ID '{model_id}' not found.")
    found = q.find_run_tag(store, TAG + model_id)
    if found is None:
        raise missing(f"Logged model with ID '{model_id}' not found.")
    return found[0], json.loads(found[1])


def holder_run(store: Store, model_id: str) -> str:
    """The run holding logged model ``model_id``.

    Raises:
        MlflowApiError: no such logged model (RESOURCE_DOES_NOT_EXIST).
    """
    return _meta(store, model_id)[0]


def _save(store: Store, run_id: str, model_id: str, meta: dict[str, Any]) -> None:
    meta["updated"] = wire.ms(time.time())
    q.log_batch(store, run_id, params={}, tags={TAG + model_id: json.dumps(meta)}, metrics=[])


def _json(model_id: str, run_id: str, meta: dict[str, Any]) -> dict[str, Any]:
    experiment = meta["experiment_id"]
    return {
        "info": {
            "model_id": model_id,
            "experiment_id": str(experiment),
            "name": meta["name"],
            "creation_timestamp_ms": meta["created"],
            "last_updated_timestamp_ms": meta["updated"],
            "artifact_uri": f"mlflow-artifacts:/{experiment}/models/{model_id}/artifacts",
            "status": meta["status"],
            "model_type": meta.get("model_type") or "",
            "source_run_id": run_id,
            "tags": wire.pair_list(meta.get("tags") or {}),
        },
        "data": {"params": wire.pair_list(meta.get("params") or {}), "metrics": []},
    }


def create(store: Store, payload: wire.Payload) -> wire.Payload:
    """``POST /logged-models``: a PENDING logged model of ``source_run_id`` (or a new run)."""
    experiment = experiment_id(store, wire.text(payload, "experiment_id"))
    name = wire.text(payload, "name", required=False) or "model"
    source = wire.text(payload, "source_run_id", required=False)
    if source:
        run_id = existing_run(store, source)
    else:
        made = create_run(store, {"experiment_id": str(experiment), "run_name": name, "tags": []})
        run_id = made["run"]["info"]["run_id"]
        q.update_run(store, run_id, {"status": "finished", "end_time": time.time()})
    model_id = "m-" + uuid.uuid4().hex
    now = wire.ms(time.time())
    meta = {
        "experiment_id": q.run_experiment_ids(store, [run_id])[run_id],
        "name": name,
        "model_type": wire.text(payload, "model_type", required=False),
        "status": "LOGGED_MODEL_PENDING",
        "created": now,
        "params": wire.pairs(payload, "params"),
        "tags": wire.pairs(payload, "tags"),
    }
    _save(store, run_id, model_id, meta)
    return {"model": _json(model_id, run_id, meta)}


def get(store: Store, model_id: str, payload: wire.Payload) -> wire.Payload:
    """``GET /logged-models/<id>``."""
    run_id, meta = _meta(store, model_id)
    return {"model": _json(model_id, run_id, meta)}


def finalize(store: Store, model_id: str, payload: wire.Payload) -> wire.Payload:
    """``PATCH /logged-models/<id>``: its upload ended (READY) or failed."""
    run_id, meta = _meta(store, model_id)
    status = payload.get("status")
    if status not in _STATUSES:
        raise invalid(f"Invalid logged model status {status!r}: one of {', '.join(_STATUSES)}.")
    meta["status"] = status
    _save(store, run_id, model_id, meta)
    if status == "LOGGED_MODEL_READY":
        sklearn_model(store, model_id)
    return {"model": _json(model_id, run_id, meta)}


def set_tags(store: Store, model_id: str, payload: wire.Payload) -> wire.Payload:
    """``PATCH /logged-models/<id>/tags``."""
    run_id, meta = _meta(store, model_id)
    meta["tags"] = {**(meta.get("tags") or {}), **wire.pairs(payload, "tags")}
    _save(store, run_id, model_id, meta)
    return {}


def delete_tag(store: Store, model_id: str, key: str, payload: wire.Payload) -> wire.Payload:
    """``DELETE /logged-models/<id>/tags/<key>``."""
    run_id, meta = _meta(store, model_id)
    tags = meta.get("tags") or {}
    if key not in tags:
        raise missing(f"No tag with key {key!r} on logged model {model_id}.")
    del tags[key]
    _save(store, run_id, model_id, meta)
    return {}


def log_params(store: Store, model_id: str, payload: wire.Payload) -> wire.Payload:
    """``POST /logged-models/<id>/params``."""
    run_id, meta = _meta(store, model_id)
    meta["params"] = {**(meta.get("params") or {}), **wire.pairs(payload, "params")}
    _save(store, run_id, model_id, meta)
    return {}


_CLAUSE = re.compile(r"\s*(\w+)\s*=\s*'([^']*)'\s*", re.IGNORECASE)


def _conditions(text: str) -> dict[str, str]:
    wanted: dict[str, str] = {}
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE) if text else []:
        match = _CLAUSE.fullmatch(clause)
        if match is None or match.group(1) not in ("name", "source_run_id", "model_id", "status"):
            raise invalid(
                f"Unsupported logged model filter {text!r}: use name, source_run_id, model_id "
                "or status = 'value', joined by AND."
            )
        wanted[match.group(1)] = match.group(2)
    return wanted


def search(store: Store, payload: wire.Payload) -> wire.Payload:
    """``POST /logged-models/search``: by experiment, with equality filters, newest first."""
    raw = payload.get("experiment_ids") or []
    experiments = {str(x) for x in ([raw] if isinstance(raw, str) else raw)}
    wanted = _conditions(str(payload.get("filter") or ""))
    limit = wire.max_results(payload, 100, 50000)
    offset = wire.page_offset(payload.get("page_token"))
    found = []
    for run_id, key, value in q.runs_with_tag_prefix(store, TAG):
        model_id, meta = key[len(TAG) :], json.loads(value)
        record = _json(model_id, run_id, meta)
        info = record["info"]
        if experiments and info["experiment_id"] not in experiments:
            continue
        if any(str(info.get(k)) != v for k, v in wanted.items()):
            continue
        found.append(record)
    found.sort(key=lambda m: (-int(m["info"]["creation_timestamp_ms"]), m["info"]["model_id"]))
    out: wire.Payload = {"models": found[offset : offset + limit]}
    if offset + limit < len(found):
        out["next_page_token"] = wire.page_token(offset + limit)
    return out


def sklearn_model(store: Store, model_id: str) -> str | None:
    """Record logged model ``model_id`` as its run's model when it is a scikit-learn model
    (MLmodel's ``sklearn`` flavor); the name it is logged under in the run, else None."""
    run_id, meta = _meta(store, model_id)
    folder = f"{PREFIX}/{model_id}"
    files = {a.path: a for a in load_run(store, run_id).artifacts}
    mlmodel = files.get(f"{folder}/MLmodel")
    if mlmodel is None:
        return None
    spec = yaml.safe_load(store.objects.read_bytes(mlmodel.digest)) or {}
    flavor = (spec.get("flavors") or {}).get("sklearn") or {}
    data = files.get(f"{folder}/{flavor.get('pickled_model', '')}")
    if not flavor or data is None:
        return None
    serialization = str(flavor.get("serialization_format") or "cloudpickle")
    fmt = "skops" if serialization == "skops" else "pickle"
    taken = {m.name for m in load_run(store, run_id).models}
    name = meta["name"] if meta["name"] not in taken else model_id
    if meta.get("logged_as"):
        name = meta["logged_as"]
    row = {
        "run_id": run_id,
        "name": name,
        "digest": data.digest,
        "size": data.size,
        "flavor": "sklearn",
        "format": fmt,
        "class_name": (
            f"MLflow sklearn model ({flavor.get('sklearn_version', '?')}, {serialization})"
        ),
        "signature": None,
        "created_at": time.time(),
    }
    with store.write() as conn:
        upsert_logged_model(store, conn, row)
    if meta.get("logged_as") != name:
        meta["logged_as"] = name
        _save(store, run_id, model_id, meta)
    return name


def not_supported(what: str) -> MlflowApiError:
    return MlflowApiError("NOT_IMPLEMENTED", f"{what} is not supported by jupyter_mlops.")
