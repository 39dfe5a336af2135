"""MLflow's model registry over ours: registered models, versions, tags and aliases.

A version registers the run's logged model (an MLflow scikit-learn model once uploaded, see
:mod:`~jupyter_mlops.services.mlflow_api.logged_models`), so our loaders and servers take it.
An alias that means a stage (``champion`` -> production, ``challenger`` -> staging, as the
MLflow import maps them, or a stage's own name) is set by an audited promotion, which
passes the project's stage_checks policy (a gated stage without one is refused, as on every
face); any other alias is a tag of the version. A stage is never removed, only moved, so
deleting a stage's alias is refused.
"""

from __future__ import annotations

import re
from typing import Any

from jupyter_mlops.errors import ConflictError, NotFoundError
from jupyter_mlops.interop.registry import ALIASES
from jupyter_mlops.models import delete_tag, get, promote, register, set_tag
from jupyter_mlops.models.records import ModelVersion
from jupyter_mlops.models.registry import held_stages, versions_of
from jupyter_mlops.models.stages import check_stages
from jupyter_mlops.services.mlflow_api import logged_models, wire
from jupyter_mlops.services.mlflow_api.errors import MlflowApiError, invalid, missing
from jupyter_mlops.services.mlflow_api.tracking import existing_run
from jupyter_mlops.store import Store
from jupyter_mlops.store import mlflow_api as q
from jupyter_mlops.store.models import model_rows
from jupyter_mlops.tracking.checks import check_key

__all__ = [
    "create_model_version",
    "create_registered_model",
    "delete_alias",
    "delete_model_tag",
    "delete_version_tag",
    "download_uri",
    "get_by_alias",
    "get_latest_versions",
    "get_model_version",
    "get_registered_model",
    "search_model_versions",
    "search_registered_models",
    "set_alias",
    "set_model_tag",
    "set_version_tag",
    "update_registered_model",
]

SOURCE_TAG = wire.HIDDEN_TAG_PREFIX + "source"
MODEL_ID_TAG = wire.HIDDEN_TAG_PREFIX + "model_id"
ALIAS_TAG = wire.HIDDEN_TAG_PREFIX + "alias."


def _stage_of(store: Store, alias: str) -> str | None:
    """The stage alias ``alias`` means, or None for a plain alias."""
    stages = check_stages(None)
    lowered = alias.lower()
    if lowered in stages:
        return lowered
    mapped = ALIASES.get(lowered)
    return mapped if mapped in stages else None


def _aliases(store: Store, v: ModelVersion) -> list[str]:
    """The stages ``v`` holds, the aliases set for them while it holds them, its plain ones."""
    found = set(v.stages)
    for key in v.tags:
        if key.startswith(ALIAS_TAG):
            alias = key[len(ALIAS_TAG) :]
            stage = _stage_of(store, alias)
            if stage is None or stage in v.stages:
                found.add(alias)
    return sorted(found)


def _version_json(store: Store, v: ModelVersion) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": v.name,
        "version": str(v.version),
        "creation_timestamp": wire.ms(v.created_at),
        "last_updated_timestamp": wire.ms(v.created_at),
        "user_id": v.created_by or "",
        "current_stage": "None",
        "description": v.description or "",
        "source": v.tags.get(SOURCE_TAG) or f"models:/{v.name}/{v.version}",
        "run_id": v.run_id or "",
        "status": "READY",
        "tags": wire.pair_list(wire.visible(v.tags)),
        "aliases": _aliases(store, v),
    }
    if v.tags.get(MODEL_ID_TAG):
        out["model_id"] = v.tags[MODEL_ID_TAG]
    return out


def _model_json(
    store: Store, row: Any, versions: list[ModelVersion], tags: dict[str, str]
) -> dict[str, Any]:
    aliases = [
        {"alias": alias, "version": str(v.version)}
        for v in versions
        for alias in _aliases(store, v)
    ]
    out: dict[str, Any] = {
        "name": row.name,
        "creation_timestamp": wire.ms(row.created_at),
        "last_updated_timestamp": wire.ms(row.updated_at),
        "description": row.description or "",
        "aliases": sorted(aliases, key=lambda a: a["alias"]),
        "tags": wire.pair_list(tags),
    }
    if versions:
        out["latest_versions"] = [_version_json(store, versions[0])]
    return out


def _row(store: Store, name: str) -> Any:
    for row in model_rows(store):
        if row.name == name:
            return row
    raise missing(f"Registered Model with name={name} not found")


def _versions(store: Store, name: str) -> list[ModelVersion]:
    try:
        return versions_of(name, store=store)
    except NotFoundError:
        raise missing(f"Registered Model with name={name} not found") from None


def _version(store: Store, name: str, version: Any) -> ModelVersion:
    number = wire.whole(version, "version")
    try:
        return get(name, number, store=store)
    except NotFoundError:
        raise missing(f"Model Version (name={name}, version={version}) not found") from None


def create_registered_model(store: Store, payload: wire.Payload) -> wire.Payload:
    """``registered-models/create``."""
    name = wire.text(payload, "name")
    tags = wire.pairs(payload, "tags")
    for key in tags:
        check_key("tag", key)
    try:
        q.create_registered_model(
            store, name, wire.text(payload, "description", required=False), tags
        )
    except ConflictError:
        raise MlflowApiError(
            "RESOURCE_ALREADY_EXISTS", f"Registered Model (name={name}) already exists."
        ) from None
    return get_registered_model(store, {"name": name})


def get_registered_model(store: Store, payload: wire.Payload) -> wire.Payload:
    """``registered-models/get``."""
    name = wire.text(payload, "name")
    tags = q.registered_model_tags(store, [name]).get(name, {})
    model = _model_json(store, _row(store, name), _versions(store, name), tags)
    return {"registered_model": model}


def update_registered_model(store: Store, payload: wire.Payload) -> wire.Payload:
    """``registered-models/update``: the description."""
    name = wire.text(payload, "name")
    _row(store, name)
    q.describe_registered_model(store, name, wire.text(payload, "description", required=False))
    return get_registered_model(store, {"name": name})


def search_registered_models(store: Store, payload: wire.Payload) -> wire.Payload:
    """``registered-models/search``: by name and tags, a page at a time."""
    matches = wire.record_matcher(str(payload.get("filter") or ""))
    limit = wire.max_results(payload, 100, 1000)
    offset = wire.page_offset(payload.get("page_token"))
    every = model_rows(store)
    tags = q.registered_model_tags(store, [row.name for row in every])
    rows = [row for row in every if matches(row.name, tags.get(row.name, {}))]
    page = rows[offset : offset + limit]
    out: wire.Payload = {
        "registered_models": [
            _model_json(store, r, _versions(store, r.name), tags.get(r.name, {})) for r in page
        ]
    }
    if offset + limit < len(rows):
        out["next_page_token"] = wire.page_token(offset + limit)
    return out


def get_latest_versions(store: Store, payload: wire.Payload) -> wire.Payload:
    """``registered-models/get-latest-versions``: the holder of each stage asked for (MLflow's
    old stages, matched without case), or the latest version."""
    name = wire.text(payload, "name")
    versions = _versions(store, name)
    wanted = payload.get("stages") or []
    wanted = [wanted] if isinstance(wanted, str) else list(wanted)
    if not wanted:
        found = versions[:1]
    else:
        lowered = {str(s).lower() for s in wanted}
        found = [v for v in versions if lowered & {s.lower() for s in v.stages}]
    return {"model_versions": [_version_json(store, v) for v in found]}


def _logged_model_id(source: str, given: str) -> str | None:
    if given:
        return given
    match = re.fullmatch(r"models:/(m-[0-9a-f]{32})/?", source)
    return match.group(1) if match else None


def create_model_version(store: Store, payload: wire.Payload) -> wire.Payload:
    """``model-versions/create``: register the logged model ``source`` names as the next
    version (an MLflow scikit-learn model, uploaded through this server)."""
    name = wire.text(payload, "name")
    source = wire.text(payload, "source")
    model_id = _logged_model_id(source, wire.text(payload, "model_id", required=False))
    if model_id is None:
        raise invalid(
            f"Cannot register {source!r}: register a model logged through this server "
            "(mlflow.<flavor>.log_model, then models:/<model id>)."
        )
    run_id = logged_models.holder_run(store, model_id)
    given_run = wire.text(payload, "run_id", required=False)
    if given_run:
        existing_run(store, given_run)
    logged = logged_models.sklearn_model(store, model_id)
    if logged is None:
        raise invalid(
            f"Logged model {model_id} is not a scikit-learn model: jupyter_mlops's registry "
            "takes MLflow scikit-learn models (skops, pickle or cloudpickle)."
        )
    tags = {**wire.pairs(payload, "tags"), SOURCE_TAG: source, MODEL_ID_TAG: model_id}
    made = register(
        run_id,
        name,
        model=logged,
        description=wire.text(payload, "description", required=False) or None,
        tags=tags,
        store=store,
    )
    return {"model_version": _version_json(store, made)}


def get_model_version(store: Store, payload: wire.Payload) -> wire.Payload:
    """``model-versions/get``."""
    name = wire.text(payload, "name")
    return {"model_version": _version_json(store, _version(store, name, payload.get("version")))}


_VERSION_FILTER = re.compile(r"\s*(name|run_id)\s*=\s*'([^']*)'\s*", re.IGNORECASE)


def search_model_versions(store: Store, payload: wire.Payload) -> wire.Payload:
    """``model-versions/search``: by ``name = '...'`` or ``run_id = '...'``, newest first."""
    text = str(payload.get("filter") or "")
    wanted: dict[str, str] = {}
    for clause in re.split(r"\s+and\s+", text, flags=re.IGNORECASE) if text.strip() else []:
        match = _VERSION_FILTER.fullmatch(clause)
        if match is None:
            raise invalid(f"Unsupported filter {text!r}: use name = 'x' and/or run_id = 'x'.")
        wanted[match.group(1).lower()] = match.group(2)
    limit = wire.max_results(payload, 10000, 200000)
    offset = wire.page_offset(payload.get("page_token"))
    names = [wanted["name"]] if "name" in wanted else [r.name for r in model_rows(store)]
    found: list[ModelVersion] = []
    for name in names:
        try:
            found.extend(versions_of(name, store=store))
        except NotFoundError:
            continue
    if "run_id" in wanted:
        found = [v for v in found if v.run_id == wanted["run_id"]]
    found.sort(key=lambda v: (v.name, -v.version))
    out: wire.Payload = {
        "model_versions": [_version_json(store, v) for v in found[offset : offset + limit]]
    }
    if offset + limit < len(found):
        out["next_page_token"] = wire.page_token(offset + limit)
    return out


def download_uri(store: Store, payload: wire.Payload) -> wire.Payload:
    """``model-versions/get-download-uri``: where the version's MLflow model folder is."""
    name = wire.text(payload, "name")
    v = _version(store, name, payload.get("version"))
    model_id = v.tags.get(MODEL_ID_TAG)
    if not model_id:
        raise invalid(
            f"Version {v.version} of {name!r} was not registered through MLflow's API: load it "
            f"with mlops.models.load('models:/{name}/{v.version}')."
        )
    got = logged_models.get(store, model_id, {})
    return {"artifact_uri": got["model"]["info"]["artifact_uri"]}


def set_version_tag(store: Store, payload: wire.Payload) -> wire.Payload:
    """``model-versions/set-tag``."""
    name, key = wire.text(payload, "name"), wire.text(payload, "key")
    if key.startswith(wire.HIDDEN_TAG_PREFIX):
        raise invalid(f"Tags starting with {wire.HIDDEN_TAG_PREFIX!r} are reserved.")
    v = _version(store, name, payload.get("version"))
    set_tag(name, v.version, key, str(payload.get("value") or ""), store=store)
    return {}


def delete_version_tag(store: Store, payload: wire.Payload) -> wire.Payload:
    """``model-versions/delete-tag``."""
    name, key = wire.text(payload, "name"), wire.text(payload, "key")
    v = _version(store, name, payload.get("version"))
    delete_tag(name, v.version, key, store=store)
    return {}


def set_model_tag(store: Store, payload: wire.Payload) -> wire.Payload:
    """``registered-models/set-tag``."""
    name, key = wire.text(payload, "name"), wire.text(payload, "key")
    check_key("tag", key)
    _row(store, name)
    value = payload.get("value")
    q.set_registered_model_tags(store, name, {key: "" if value is None else str(value)})
    return {}


def delete_model_tag(store: Store, payload: wire.Payload) -> wire.Payload:
    """``registered-models/delete-tag`` (RESOURCE_DOES_NOT_EXIST without such a tag)."""
    name, key = wire.text(payload, "name"), wire.text(payload, "key")
    _row(store, name)
    if not q.delete_registered_model_tag(store, name, key):
        raise missing(f"No tag with key {key!r} on registered model {name!r}.")
    return {}


def set_alias(store: Store, payload: wire.Payload) -> wire.Payload:
    """``registered-models/alias`` (POST): a stage's alias promotes, any other is a tag."""
    name, alias = wire.text(payload, "name"), wire.text(payload, "alias")
    v = _version(store, name, payload.get("version"))
    stage = _stage_of(store, alias)
    if stage is not None and stage not in v.stages:
        promote(name, v.version, to=stage, reason=f"MLflow alias @{alias}", store=store)
    # Remembered on the version, so the client sees the alias it set (besides the stage).
    for number in q.versions_with_tag(store, name, ALIAS_TAG + alias):
        delete_tag(name, number, ALIAS_TAG + alias, store=store)
    set_tag(name, v.version, ALIAS_TAG + alias, "1", store=store)
    return {}


def delete_alias(store: Store, payload: wire.Payload) -> wire.Payload:
    """``registered-models/alias`` (DELETE)."""
    name, alias = wire.text(payload, "name"), wire.text(payload, "alias")
    _row(store, name)
    stage = _stage_of(store, alias)
    if stage is not None:
        raise invalid(
            f"Alias @{alias} is stage {stage} of {name!r}; a stage is not removed, only moved: "
            f"promote another version (jupyter-mlops promote) or roll it back."
        )
    numbers = q.versions_with_tag(store, name, ALIAS_TAG + alias)
    if not numbers:
        raise missing(f"Registered model alias {alias} not found.")
    for number in numbers:
        delete_tag(name, number, ALIAS_TAG + alias, store=store)
    return {}


def get_by_alias(store: Store, payload: wire.Payload) -> wire.Payload:
    """``registered-models/alias`` (GET): the version an alias (or stage) names."""
    name, alias = wire.text(payload, "name"), wire.text(payload, "alias")
    _row(store, name)
    stage = _stage_of(store, alias)
    if stage is not None:
        held = held_stages(name, store=store)
        if stage not in held:
            raise missing(f"Registered model alias {alias} not found (no version holds {stage}).")
        return {"model_version": _version_json(store, get(name, held[stage], store=store))}
    numbers = q.versions_with_tag(store, name, ALIAS_TAG + alias)
    if not numbers:
        raise missing(f"Registered model alias {alias} not found.")
    return {"model_version": _version_json(store, get(name, max(numbers), store=store))}
