"""The model registry for the REST API: models, versions, stages, promotion and its audit trail."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select

from jupyter_mlops.errors import GateRefused
from jupyter_mlops.expressions import GateResult
from jupyter_mlops.models import _db
from jupyter_mlops.models import promotion as promo
from jupyter_mlops.models.records import ModelVersion, PromotionEvent
from jupyter_mlops.models.registry import get, model_rows
from jupyter_mlops.models.uri import check_name
from jupyter_mlops.services import schema
from jupyter_mlops.services.paths import inside_root
from jupyter_mlops.store import Store
from jupyter_mlops.store import tables as t


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
    check_name(name)
    mv = t.model_versions
    with store.read() as conn:
        mid = _db.model_id(conn, name)
        rows = conn.execute(
            select(mv).where(mv.c.model_id == mid).order_by(mv.c.version.desc())
        ).all()
        versions = [_db.to_model_version(conn, name, row) for row in rows]
    return schema.ModelVersionList(name=name, items=[version_info(v) for v in versions])


def get_version(store: Store, name: str, version: int) -> schema.ModelVersionInfo:
    """Version ``version`` of model ``name``.

    Raises:
        NotFoundError: no such model or version.
    """
    return version_info(get(name, version, store=store))


def stages(store: Store, name: str) -> schema.StageList:
    """The stages model ``name`` may hold and the version holding each now."""
    check_name(name)
    with store.read() as conn:
        held = _db.stage_holders(conn, _db.model_id(conn, name))
    return schema.StageList(
        name=name,
        allowed=list(promo.check_stages(None)),
        held={stage: version for stage, (_, version) in sorted(held.items())},
    )


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


def promotions(store: Store, name: str) -> schema.PromotionHistory:
    """The audit trail of model ``name``, oldest first."""
    return schema.PromotionHistory(
        name=name, items=[event_info(e) for e in promo.events(name, store=store)]
    )


def promote(
    store: Store, name: str, request: schema.PromoteRequest, *, root: Path
) -> schema.PromotionResult:
    """Promote (or, with ``dry_run``, only check) a version, as ``mlops.models.promote`` does.

    Raises:
        GateRefused: a check failed (not for a dry run); ``checks`` holds every result.
        ConflictError: the stage moved meanwhile.
        NotFoundError: no such model or version.
        MlopsUsageError: an unknown stage, a bad check or a notebook outside the root.
    """
    notebook = (
        inside_root(root, request.validate_notebook, what="validation notebook")
        if request.validate_notebook
        else None
    )
    if request.dry_run:
        return _dry_run(store, name, request, notebook)
    try:
        event = promo.promote(
            name,
            request.version,
            request.stage,
            checks=request.checks,
            reason=request.reason,
            validate=notebook,
            store=store,
        )
    except GateRefused as exc:
        # The audit event holds every check (passed ones too); the error carries them all.
        event_id = exc.fields.get("event_id")
        recorded = promo.events(name, stage=request.stage, store=store, event_id=event_id)
        checks = [c.to_dict() for c in recorded[0].checks] if recorded else exc.fields["failed"]
        raise GateRefused(exc.message, **{**exc.fields, "checks": checks}) from exc
    return schema.PromotionResult(
        model=name,
        version=request.version,
        stage=request.stage,
        from_version=event.from_version,
        outcome="promoted",
        dry_run=False,
        checks=[check_info(c) for c in event.checks],
        event=event_info(event),
    )


def _dry_run(
    store: Store, name: str, request: schema.PromoteRequest, notebook: Path | None
) -> schema.PromotionResult:
    """Evaluate the checks as a promotion would; move nothing and record no event."""
    plan = promo.check_promotion(
        name,
        request.version,
        request.stage,
        checks=request.checks,
        validate=notebook,
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
