"""The model registry for every face: models, versions, stages, promotion and its audit trail.

A refused promotion raises :class:`GateRefused` whose ``checks`` field holds every check's
result (passed and failed, in order), as the domain returns them; :func:`refusal` is the
body every face shows for it (the REST API's 422 answer, the CLI's JSON).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, cast

from jupyter_mlops import models as registry
from jupyter_mlops.errors import GateRefused
from jupyter_mlops.expressions import GateResult
from jupyter_mlops.models.audit import events
from jupyter_mlops.models.records import ModelVersion, PromotionEvent
from jupyter_mlops.models.registry import held_stages, model_rows, versions_of
from jupyter_mlops.models.stages import check_stages
from jupyter_mlops.models.uri import check_name
from jupyter_mlops.services import schema
from jupyter_mlops.services.paths import inside_root, paths_as_given, values_as_given
from jupyter_mlops.store import Store


def list_models(store: Store) -> schema.ModelList:
    """Every registered model with its version count and the version holding each stage."""
    return schema.ModelList(
        items=[
            schema.ModelSummary(
                name=r.name,
                versions=r.versions,
                latest_version=r.latest_version,
                stages=r.stages,
                description=r.description,
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
            for r in model_rows(store)  # by name, stages by key: code-point order
        ]
    )


def version_info(v: ModelVersion) -> schema.ModelVersionInfo:
    """The wire form of one model version."""
    return schema.ModelVersionInfo(
        name=v.name,
        version=v.version,
        uri=v.uri,
        run_id=v.run_id,
        digest=v.digest,
        size=v.size,
        flavor=v.flavor,
        format=v.format,
        class_name=v.class_name,
        signature=v.signature,
        description=v.description,
        created_by=v.created_by,
        created_at=v.created_at,
        # Keys in code-point order on every backend (tags and stages come so from the store).
        tags=v.tags,
        stages=v.stages,
        metrics={k: math.nan if val is None else val for k, val in sorted(v.metrics.items())},
        params={k: str(val) for k, val in sorted(v.params.items())},
        card=v.card,
    )


def list_versions(store: Store, name: str) -> schema.ModelVersionList:
    """The versions of model ``name``, newest first, with their stages and card metrics.

    Raises:
        NotFoundError: no model has that name.
    """
    return schema.ModelVersionList(
        name=name, items=[version_info(v) for v in versions_of(name, store=store)]
    )


def get_version(store: Store, name: str, version: int) -> schema.ModelVersionInfo:
    """Version ``version`` of model ``name``.

    Raises:
        NotFoundError: no such model or version.
    """
    return version_info(registry.get(name, version, store=store))


def show_version(
    store: Store, ref: str, version: int | str | None = None
) -> schema.ModelVersionInfo:
    """The version a ``models:/`` URI names, or version ``version`` (default latest) of a name.

    Raises:
        NotFoundError: no such model, version or held stage.
        MlopsUsageError: a malformed name, version or URI.
    """
    return version_info(registry.get(ref, version, store=store))


def stages(store: Store, name: str) -> schema.StageList:
    """The stages model ``name`` may hold and the version holding each now."""
    return schema.StageList(
        name=name, allowed=list(check_stages(None)), held=held_stages(name, store=store)
    )


def allowed_stages() -> list[str]:
    """The stages of the project (its configuration's, else staging and production)."""
    return list(check_stages(None))


def check_info(result: GateResult | dict[str, Any]) -> schema.GateCheck:
    """The wire form of one check's result."""
    data = result.to_dict() if isinstance(result, GateResult) else result
    return schema.GateCheck.model_validate(data)


def event_info(e: PromotionEvent) -> schema.PromotionEventInfo:
    """The wire form of one audit event."""
    return schema.PromotionEventInfo(
        id=e.id,
        model=e.model,
        stage=e.stage,
        action=cast(schema.PromotionAction, e.action),
        from_version=e.from_version,
        to_version=e.to_version,
        outcome=cast(schema.EventOutcome, e.outcome),
        checks=[check_info(c) for c in e.checks],
        validation=e.validation,
        detail=e.detail,
        reason=e.reason,
        user=e.user,
        host=e.host,
        created_at=e.created_at,
    )


def promotions(store: Store, name: str, stage: str | None = None) -> schema.PromotionHistory:
    """The audit trail of model ``name`` (optionally of one stage), oldest first."""
    return schema.PromotionHistory(
        name=name, items=[event_info(e) for e in events(name, stage=stage, store=store)]
    )


def refusal(exc: GateRefused) -> schema.ErrorBody:
    """What every face shows for a refused promotion: the one-line error and every check."""
    message = " ".join(part.strip() for part in exc.message.splitlines() if part.strip())
    raw = exc.fields.get("checks") or exc.fields.get("failed") or []
    return schema.ErrorBody(error=message, checks=[check_info(c) for c in raw])


def _result(name: str, event: PromotionEvent) -> schema.PromotionResult:
    return schema.PromotionResult(
        model=name,
        version=event.to_version,
        stage=event.stage,
        from_version=event.from_version,
        outcome="promoted",
        dry_run=False,
        checks=[check_info(c) for c in event.checks],
        event=event_info(event),
    )


def promote(
    store: Store, name: str, request: schema.PromoteRequest, *, root: Path | None = None
) -> schema.PromotionResult:
    """Promote (or, with ``dry_run``, only check) a version, as ``mlops.models.promote`` does.

    ``root``: the server's root, which a validation notebook must be inside (faces on the
    user's own machine give none and name any notebook).

    Raises:
        GateRefused: a check failed (not for a dry run); ``checks`` holds every result.
        ConflictError: the stage moved meanwhile.
        NotFoundError: no such model or version.
        MlopsUsageError: an unknown stage, a check that does not parse, no check at all for
            a gated stage (a dry run reports that as its one failed check), or a notebook
            outside the root; nothing is recorded.
    """
    if root is None:
        return _promote(store, name, request, root=None)
    # The validation's checks name its notebook by its full path: named as given here.
    with paths_as_given(root):
        result = _promote(store, name, request, root=root)
    return schema.PromotionResult.model_validate(values_as_given(root, result.model_dump()))


def _promote(
    store: Store, name: str, request: schema.PromoteRequest, *, root: Path | None
) -> schema.PromotionResult:
    given = request.validate_notebook
    notebook: Path | str | None = given or None
    if given and root is not None:
        notebook = inside_root(root, given, what="validation notebook")
    if request.dry_run:
        plan = registry.check_promotion(
            name,
            request.version,
            request.stage,
            checks=request.checks,
            validate=notebook,
            stages=request.stages,
            store=store,
        )
        return schema.PromotionResult(
            model=name,
            version=plan.version,
            stage=plan.stage,
            from_version=plan.from_version,
            outcome="would_promote" if plan.passed else "would_refuse",
            dry_run=True,
            checks=[check_info(r) for r in plan.checks],
            event=None,
        )
    event = registry.promote(
        name,
        request.version,
        request.stage,
        checks=request.checks,
        reason=request.reason,
        validate=notebook,
        stages=request.stages,
        store=store,
    )
    return _result(name, event)


def rollback(store: Store, name: str, request: schema.RollbackRequest) -> schema.PromotionResult:
    """Give a stage back to an earlier version, as ``mlops.models.rollback`` does.

    Raises:
        MlopsUsageError: no version holds the stage, or no earlier one is known.
        GateRefused, ConflictError, NotFoundError: as :func:`promote`.
    """
    check_name(name)
    event = registry.rollback(
        name,
        stage=request.stage,
        version=request.version,
        checks=request.checks,
        reason=request.reason,
        stages=request.stages,
        store=store,
    )
    return _result(name, event)


def register(
    store: Store,
    source: Any,
    name: str,
    *,
    model: str | None = None,
    description: str | None = None,
    tags: dict[str, str] | None = None,
) -> schema.ModelVersionInfo:
    """Register a run's logged model (or a fitted estimator) as the next version of ``name``."""
    return version_info(
        registry.register(
            source, name, model=model, description=description, tags=tags, store=store
        )
    )


def load(store: Store, uri: str, *, trusted: bool = False) -> Any:
    """The model a ``models:/`` URI names, verified against its digest."""
    return registry.load(uri, trusted=trusted, store=store)
