"""Registering model versions and reading the registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_mlops.config import load_config
from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.identity import user_name
from jupyter_mlops.models.card import build_card
from jupyter_mlops.models.records import ModelVersion
from jupyter_mlops.models.uri import ModelURI, check_name, check_version, parse_model_uri
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import models as stored
from jupyter_mlops.store import runs as q
from jupyter_mlops.store.models import ModelRow, model_rows
from jupyter_mlops.store.records import ModelRecord, RunRecord
from jupyter_mlops.tracking import fluent, hidden_state
from jupyter_mlops.tracking.active import in_progress
from jupyter_mlops.tracking.checks import check_key
from jupyter_mlops.tracking.run import Run

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ModelRow",
    "delete_tag",
    "get",
    "held_stages",
    "list_models",
    "list_versions",
    "model_rows",
    "register",
    "set_tag",
    "versions_of",
]


def _run_ref(
    source: Any, *, model: str | None, input_example: Any, store: Store
) -> tuple[str, str | None]:
    """The run to register from, and the logged model name when this call logged it."""
    if isinstance(source, Run):
        source.flush()
        return source.id, None
    if isinstance(source, RunRecord):
        return source.id, None
    if isinstance(source, str):
        with store.read() as conn:
            run_id = q.resolve_run_id(conn, source)
        live = in_progress(run_id)
        if live is not None and live.store is store and not live.ended:
            live.flush()  # its buffered metrics are what the version's gates will read
        return run_id, None
    if source is None or isinstance(source, int | float | bytes | dict | list | tuple):
        raise MlopsUsageError(
            f"register() takes a run (Run, run record, id or name) or a fitted estimator, "
            f"not {type(source).__name__}."
        )
    logged_name = model or "model"
    active = fluent.active_run()
    if active is not None and active.store is store and not active.ended:
        active.log_model(source, logged_name, input_example=input_example)
        active.flush()
        return active.id, logged_name
    with fluent.start_run(store=store, tags={"mlops.source": "models.register"}) as run:
        run.log_model(source, logged_name, input_example=input_example)
    return run.id, logged_name


def _pick_model(run: RunRecord, model: str | None) -> ModelRecord:
    if not run.models:
        raise MlopsUsageError(
            f"Run {run.label} logged no model: log one with run.log_model(estimator), "
            "or pass the fitted estimator to register()."
        )
    names = [m.name for m in run.models]
    if model is None:
        if len(run.models) > 1:
            raise MlopsUsageError(
                f"Run {run.label} logged {len(names)} models ({', '.join(names)}); "
                "choose one with model='NAME'."
            )
        return run.models[0]
    for logged in run.models:
        if logged.name == model:
            return logged
    raise NotFoundError(
        f"Run {run.label} logged no model {model!r}; it logged: {', '.join(names)}.",
        model=model,
    )


def register(
    run_or_estimator: Any,
    name: str,
    *,
    model: str | None = None,
    description: str | None = None,
    tags: dict[str, Any] | None = None,
    input_example: Any = None,
    store: Store | None = None,
) -> ModelVersion:
    """Register a run's logged model (or a fitted estimator) as the next version of ``name``.

    Args:
        run_or_estimator: a Run, a run record, a run id / short id / name, or a fitted
            estimator (logged first into the active run, else into a new run).
        name: the registered model's name (created on first registration).
        model: which logged model of the run, when it logged several.
        description: free text stored with the version.
        tags: tags to set on the new version.
        input_example: for an estimator, a sample input to record the signature from.
        store: the store (default: the project's store).

    Returns:
        The new version, with its model card.

    Raises:
        MlopsUsageError: a bad name, a run without a model, or several models and no ``model``;
            a run tagged with hidden notebook state when the setting ``hidden_state`` is
            ``refuse`` (with ``warn``, the default, a :class:`HiddenStateWarning` instead).
        NotFoundError: an unknown run or logged model, or a model object missing from storage.
    """
    store = store or current_store()
    check_name(name)
    for key in tags or {}:
        check_key("tag", key)
    run_id, logged_name = _run_ref(
        run_or_estimator, model=model, input_example=input_example, store=store
    )
    record = q.load_run(store, run_id)
    logged = _pick_model(record, model if logged_name is None else logged_name)
    hidden_state.check_registration(record.label, record.tags, policy=load_config().hidden_state)
    if not store.objects.exists(logged.digest):
        raise NotFoundError(
            f"The model {logged.name!r} of run {record.label} points at object {logged.digest}, "
            "which is missing from the artifact store; run `jupyter-mlops verify`.",
            digest=logged.digest,
        )
    user = user_name()
    with store.read() as conn:
        datasets = stored.dataset_links(conn, record.id)
    new = stored.NewVersion(
        run_id=record.id,
        digest=logged.digest,
        size=logged.size,
        flavor=logged.flavor,
        format=logged.format,
        class_name=logged.class_name,
        signature=logged.signature,
        description=description,
        created_by=user,
        tags={k: str(v) for k, v in (tags or {}).items()},
    )
    number = stored.add_version(
        store,
        name,
        new,
        lambda version: build_card(
            record, logged, datasets=datasets, name=name, version=version, user=user
        ),
    )
    return get(name, number, store=store)


def _as_uri(name_or_uri: str, version: int | str | None) -> ModelURI:
    if isinstance(name_or_uri, str) and name_or_uri.startswith("models:/"):
        if version is not None:
            raise MlopsUsageError("Give either a models:/ URI or a name and a version, not both.")
        return parse_model_uri(name_or_uri)
    check_name(name_or_uri)
    if version is None or version == "latest":
        return ModelURI(name_or_uri)
    return ModelURI(name_or_uri, version=check_version(version))


def get(name: str, version: int | str | None = None, *, store: Store | None = None) -> ModelVersion:
    """Read one model version: by name and version (latest when omitted) or by models:/ URI.

    Raises:
        NotFoundError: an unknown model, version or unheld stage.
        MlopsUsageError: a malformed name, version or URI.
    """
    ref = _as_uri(name, version)
    store = store or current_store()
    with store.read() as conn:
        return ModelVersion.of(stored.resolve(conn, ref.name, ref.version, ref.stage))


def list_models(*, store: Store | None = None) -> pd.DataFrame:
    """One row per registered model: versions, latest version, stages held, dates."""
    # start-up: pandas costs ~300 ms; `import jupyter_mlops.models` does without it.
    import pandas as pd

    rows = model_rows(store or current_store())
    return pd.DataFrame(
        {
            "name": [r.name for r in rows],
            "versions": [r.versions for r in rows],
            "latest_version": pd.array([r.latest_version for r in rows], dtype="Int64"),
            "stages": [", ".join(f"{k}=v{v}" for k, v in r.stages.items()) for r in rows],
            "description": [r.description for r in rows],
            "created_at": pd.to_datetime([r.created_at for r in rows], unit="s", utc=True),
            "updated_at": pd.to_datetime([r.updated_at for r in rows], unit="s", utc=True),
        }
    )


def versions_of(name: str, *, store: Store | None = None) -> list[ModelVersion]:
    """Every version of model ``name``, newest first.

    Raises:
        NotFoundError: no model has that name.
    """
    check_name(name)
    with (store or current_store()).read() as conn:
        return [ModelVersion.of(v) for v in stored.versions(conn, name)]


def held_stages(name: str, *, store: Store | None = None) -> dict[str, int]:
    """``{stage: version}`` for every stage a version of model ``name`` holds now, by stage.

    Raises:
        NotFoundError: no model has that name.
    """
    check_name(name)
    with (store or current_store()).read() as conn:
        held = stored.stage_holders(conn, stored.model_id(conn, name))
    return {stage: number for stage, (_, number) in held.items()}


def list_versions(name: str, *, store: Store | None = None) -> pd.DataFrame:
    """One row per version of model ``name``, newest first, with stages and card metrics."""
    # start-up: pandas costs ~300 ms; `import jupyter_mlops.models` does without it.
    import pandas as pd

    check_name(name)
    store = store or current_store()
    rows = versions_of(name, store=store)
    cards = [r.card for r in rows]
    metric_keys = sorted({k for c in cards for k in (c.get("metrics") or {})})
    data: dict[str, Any] = {
        "version": [int(r.version) for r in rows],
        "uri": [f"models:/{name}/{r.version}" for r in rows],
        "stages": [", ".join(r.stages) for r in rows],
        "run_id": [r.run_id for r in rows],
        "class_name": [r.class_name for r in rows],
        "format": [r.format for r in rows],
        "digest": [r.digest for r in rows],
        "created_by": [r.created_by for r in rows],
        "created_at": pd.to_datetime([r.created_at for r in rows], unit="s", utc=True),
    }
    for key in metric_keys:
        data[f"metrics.{key}"] = [
            float("nan") if (c.get("metrics") or {}).get(key) is None else c["metrics"][key]
            for c in cards
        ]
    return pd.DataFrame(data)


def set_tag(
    name: str, version: int | str, key: str, value: Any, *, store: Store | None = None
) -> None:
    """Set a tag on a model version (``tags.KEY`` in promotion checks)."""
    check_key("tag", key)
    ref = _as_uri(name, version)
    stored.set_tag(store or current_store(), ref.name, ref.version, ref.stage, key, str(value))


def delete_tag(name: str, version: int | str, key: str, *, store: Store | None = None) -> None:
    """Remove a tag from a model version (no error when it was not set)."""
    ref = _as_uri(name, version)
    stored.delete_tag(store or current_store(), ref.name, ref.version, ref.stage, key)
