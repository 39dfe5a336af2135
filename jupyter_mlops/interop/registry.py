"""MLflow's registered models into the registry: versions, descriptions, tags, aliases and
the old stages as stages.

A version is imported when its run was and its source is a scikit-learn model folder in that
run's files (``MLmodel`` + a pickled model); it becomes the next version here, tagged
``mlflow.model_version`` with MLflow's ``NAME/VERSION`` (so a second import adds nothing). An
alias or old stage becomes a stage where one means the same (``ALIASES``); others are listed
as not mapped.
"""

from __future__ import annotations

import time
from typing import Any

import yaml

from jupyter_mlops.models import get, register
from jupyter_mlops.models.promotion import import_stage
from jupyter_mlops.store import Store
from jupyter_mlops.store import interop as q
from jupyter_mlops.store.mlflow_api import set_registered_model_tags

#: MLflow alias or (lower-cased) old stage -> our stage.
ALIASES = {
    "champion": "production",
    "production": "production",
    "prod": "production",
    "challenger": "staging",
    "staging": "staging",
}
PAGE = 200
#: The version tag keeping the MLflow aliases a version had (comma-separated), so an export
#: gives them back.
ALIASES_TAG = "mlflow.aliases"
#: The version tag keeping the registered model's description (our registry has none per
#: model; a version without one of its own shows it), so an export gives it back.
DESCRIPTION_TAG = "mlflow.model_description"


def _source_path(version: Any, run: Any) -> str | None:
    """The model folder's path inside the run's files, or None when it is elsewhere."""
    source = str(version.source or "")
    prefix = f"runs:/{version.run_id}/"
    if source.startswith(prefix):
        return source[len(prefix) :].strip("/")
    root = str(run.info.artifact_uri or "").rstrip("/")
    if root and source.startswith(root + "/"):
        return source[len(root) + 1 :].strip("/")
    return None


def _logged_model(store: Store, ours: str, folder: str) -> str | None:
    """Record the run's ``folder`` (an MLflow sklearn model) as a logged model; its name."""
    # start-up: the run reader loads on use.
    from jupyter_mlops.tracking.fluent import get_run

    files = {a.path: a for a in get_run(ours, store=store).artifacts}
    mlmodel = files.get(f"{folder}/MLmodel")
    if mlmodel is None:
        return None
    spec = yaml.safe_load(store.objects.read_bytes(mlmodel.digest)) or {}
    sk = (spec.get("flavors") or {}).get("sklearn") or {}
    pickled = files.get(f"{folder}/{sk.get('pickled_model', '')}")
    if not sk or pickled is None or sk.get("serialization_format") == "skops":
        return None
    name = folder.rsplit("/", 1)[-1] or "model"
    q.add_logged_model(
        store,
        {
            "run_id": ours,
            "name": name,
            "digest": pickled.digest,
            "size": pickled.size,
            "flavor": "sklearn",
            "format": "pickle",
            "class_name": f"MLflow sklearn model ({sk.get('sklearn_version', '?')})",
            "signature": None,
            "created_at": time.time(),
        },
    )
    return name


def import_registry(client: Any, store: Store, not_mapped: list[str]) -> tuple[int, int]:
    """Import registered models whose runs are imported. Returns (versions added, stages set)."""
    done = q.imported_versions(store)
    versions = stages = 0
    token: str | None = None
    while True:
        page = client.search_registered_models(max_results=PAGE, page_token=token)
        for model in page:
            v, s = _one_model(client, store, model, done, not_mapped)
            versions, stages = versions + v, stages + s
        token = page.token
        if not token:
            return versions, stages


def _one_model(
    client: Any,
    store: Store,
    model: Any,
    done: dict[str, int],
    not_mapped: list[str],
) -> tuple[int, int]:
    name = model.name
    found = client.search_model_versions(f"name = '{name}'")
    ours: dict[str, int] = {}  # MLflow version -> ours
    added = 0
    for version in sorted(found, key=lambda mv: int(mv.version)):
        key = f"{name}/{version.version}"
        if key in done:
            ours[str(version.version)] = done[key]
            continue
        source_run = str(version.run_id or "")
        run_id = q.imported(store, [source_run]).get(source_run, (None, None))[0]
        if run_id is None:
            not_mapped.append(f"model {key}: its run was not imported")
            continue
        folder = _source_path(version, client.get_run(version.run_id))
        logged = _logged_model(store, run_id, folder) if folder is not None else None
        if logged is None:
            not_mapped.append(
                f"model {key}: its source {version.source} is not a scikit-learn model "
                "folder in its run's files"
            )
            continue
        tags = {**dict(version.tags or {}), q.SOURCE_VERSION_TAG: key}
        had = sorted(a for a, n in (model.aliases or {}).items() if str(n) == str(version.version))
        if had:
            tags[ALIASES_TAG] = ",".join(had)
        if model.description:
            tags[DESCRIPTION_TAG] = model.description
        made = register(
            run_id,
            name,
            model=logged,
            description=version.description or model.description,
            tags=tags,
            store=store,
        )
        ours[str(version.version)] = made.version
        done[key] = made.version
        added += 1
    if ours and model.tags:  # the model is in our registry now
        set_registered_model_tags(store, name, dict(model.tags))
    wanted: dict[str, tuple[str, str]] = {}  # our stage -> (MLflow version, where from)
    for version in found:
        old = str(version.current_stage or "").lower()
        if old in ALIASES:
            wanted[ALIASES[old]] = (str(version.version), f"stage {version.current_stage}")
    for alias, number in sorted((model.aliases or {}).items()):
        if alias.lower() in ALIASES:  # an alias wins over an old stage
            wanted[ALIASES[alias.lower()]] = (str(number), f"alias @{alias}")
        else:
            not_mapped.append(f"model {name}: alias @{alias} has no stage of that meaning")
    set_ = 0
    for stage, (number, where) in sorted(wanted.items()):
        target = ours.get(number)
        if target is None:
            continue
        if stage in get(name, target, store=store).stages:
            continue
        import_stage(name, target, stage, reason=f"imported from MLflow {where}", store=store)
        set_ += 1
    return added, set_
