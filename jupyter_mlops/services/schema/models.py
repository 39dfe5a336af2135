"""The model registry: models, versions, stages, promotion and its audit trail."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from jupyter_mlops.services.schema.base import (
    MAX_WHOLE,
    CheckStatus,
    PromotionOutcome,
    Real,
    Request,
    Response,
)

#: What an audited promotion event did: ``conflict`` when the stage moved meanwhile.
EventOutcome = Literal["promoted", "refused", "conflict"]
PromotionAction = Literal["promote", "rollback"]


class ModelSummary(Response):
    """A registered model: how many versions, the latest, which version holds each stage."""

    name: str
    versions: int
    latest_version: int | None
    stages: dict[str, int]
    description: str | None
    created_at: float
    updated_at: float


class ModelList(Response):
    """Every registered model, by name."""

    items: list[ModelSummary]


class ModelVersionInfo(Response):
    """One registered version with the metrics and params of its card."""

    name: str
    version: int
    uri: str
    run_id: str | None
    digest: str
    size: int
    flavor: str
    format: str
    class_name: str
    signature: dict[str, Any] | None
    description: str | None
    created_by: str | None
    created_at: float
    tags: dict[str, str]
    stages: list[str]
    metrics: dict[str, Real]
    params: dict[str, str]
    card: dict[str, Any]


class ModelVersionList(Response):
    """The versions of one model, newest first."""

    name: str
    items: list[ModelVersionInfo]


class StageList(Response):
    """The stages a model may hold and the version holding each now."""

    name: str
    allowed: list[str]
    held: dict[str, int]


class GateCheck(Response):
    """The result of one promotion check."""

    expression: str
    passed: bool
    status: CheckStatus
    values: dict[str, Any]
    message: str
    error: str | None


class PromotionEventInfo(Response):
    """One audited attempt to move a stage."""

    id: int
    model: str
    stage: str
    action: PromotionAction
    from_version: int | None
    to_version: int
    outcome: EventOutcome
    checks: list[GateCheck]
    validation: dict[str, Any] | None
    detail: str | None
    reason: str | None
    user: str | None
    host: str | None
    created_at: float


class PromotionHistory(Response):
    """The audit trail of one model, oldest first."""

    name: str
    items: list[PromotionEventInfo]


class PromoteRequest(Request):
    """Move ``stage`` of a model to ``version`` if every check passes."""

    version: int = Field(ge=1, le=MAX_WHOLE)
    stage: str
    checks: list[str] = Field(default_factory=list, description="gate expressions")
    reason: str | None = None
    validate_notebook: str | None = Field(
        default=None, description="a validation notebook, relative to the server's root"
    )
    dry_run: bool = Field(
        default=False, description="evaluate the checks, move nothing, record nothing"
    )
    stages: list[str] | None = Field(
        default=None,
        description="the allowed stages (default: the project's, else staging, production)",
    )


class RollbackRequest(Request):
    """Give ``stage`` back to an earlier version (default: the one its holder replaced)."""

    stage: str
    version: int | None = Field(
        default=None,
        ge=1,
        le=MAX_WHOLE,
        description="the version to give it to (default: the previous)",
    )
    checks: list[str] = Field(default_factory=list, description="gate expressions")
    reason: str | None = None
    stages: list[str] | None = Field(
        default=None,
        description="the allowed stages (default: the project's, else staging, production)",
    )


class PromotionResult(Response):
    """What a promotion did (or, for a dry run, would do) and each check's result."""

    model: str
    version: int
    stage: str
    from_version: int | None
    outcome: PromotionOutcome
    dry_run: bool
    checks: list[GateCheck]
    event: PromotionEventInfo | None
