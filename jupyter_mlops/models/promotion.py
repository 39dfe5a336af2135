"""Promoting a model version to a stage behind gates, audited, with compare-and-set.

A promotion reads the version holding the stage now, runs the optional validation notebook,
evaluates the checks, and then, in one write transaction, moves the stage only if the holder
is still the one it read (``UPDATE ... WHERE version_id = <holder read earlier>``, or an
``INSERT`` that the primary key refuses when another promotion inserted first). The loser of a
race changes nothing, records a ``conflict`` event and gets a :class:`ConflictError`. Every
attempt, passed or refused, is a ``promotion_events`` row. :func:`check_promotion` is the
same evaluation without the write (a dry run): it moves nothing and records nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from jupyter_mlops.errors import ConflictError, GateRefused, MlopsUsageError
from jupyter_mlops.identity import user_name
from jupyter_mlops.models.audit import Attempt, events, history, record
from jupyter_mlops.models.evaluation import PromotionCheck, evaluate
from jupyter_mlops.models.records import PromotionEvent
from jupyter_mlops.models.stages import DEFAULT_STAGES, RESERVED, check_stages
from jupyter_mlops.models.uri import check_name
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import models as stored

__all__ = [
    "DEFAULT_STAGES",
    "RESERVED",
    "PromotionCheck",
    "check_promotion",
    "check_stages",
    "events",
    "history",
    "promote",
    "rollback",
]


def promote(
    name: str,
    version: int | str,
    to: str = "production",
    *,
    checks: Iterable[str] | str = (),
    reason: str | None = None,
    validate: str | os.PathLike[str] | None = None,
    stages: Iterable[str] | None = None,
    user: str | None = None,
    kernel_name: str | None = None,
    timeout: float | None = None,
    store: Store | None = None,
) -> PromotionEvent:
    """Move stage ``to`` of model ``name`` to ``version`` if every check passes.

    Checks are gate expressions (:mod:`jupyter_mlops.expressions`) over this context:
    ``metrics.X`` / ``params.X`` / ``tags.X`` / ``version`` are the candidate's (metrics as
    registered, overridden by what the validation notebook logged; tags set with
    ``models.set_tag``), also reachable as ``candidate.*``; ``<stage>.metrics.X`` etc. are
    the version holding that stage now, ``current.*`` the holder of ``to``, and
    ``validation.metrics.X`` only what the validation notebook logged. A check that
    references a stage no version holds yet is refused with that reason.

    Args:
        name: the registered model.
        version: the candidate version.
        to: the stage to move.
        checks: gate expressions that must all pass, e.g. ``"metrics.roc_auc >= 0.85"``.
            The configured ``stage_checks`` of ``to`` (the team's policy) always apply too,
            before these. A stage in ``gated_stages`` (default: production) needs at least
            one check, a policy or a validation notebook.
        reason: why, stored in the audit event.
        validate: a notebook executed against the candidate first (see
            :mod:`jupyter_mlops.models.validation` for its parameters and how it logs metrics).
        stages: the allowed stages (default ``("staging", "production")``).
        user: who promotes (default: the OS user).
        kernel_name: the kernel for the validation notebook (default: the notebook's).
        timeout: seconds each validation cell may run.
        store: the store (default: the project's store).

    Returns:
        The ``promoted`` audit event.

    Raises:
        GateRefused: a check or the validation failed; the event is recorded as ``refused``.
            Its ``fields["checks"]`` holds every check's result (passed ones too) in order,
            ``fields["failed"]`` the failed ones.
        ConflictError: another promotion moved the stage meanwhile; recorded as ``conflict``.
        FilterSyntaxError: a check that does not parse; nothing runs and nothing is recorded.
        MlopsUsageError: an unknown stage, a bad version, a missing validation notebook, or
            no check at all for a gated stage; nothing runs and nothing is recorded.
        NotFoundError: an unknown model or version.
    """
    return _promote(
        name,
        version,
        to,
        checks=checks,
        reason=reason,
        validate=validate,
        stages=stages,
        user=user,
        kernel_name=kernel_name,
        timeout=timeout,
        store=store,
        action="promote",
    )


def import_stage(
    name: str, version: int, stage: str, *, reason: str, store: Store | None = None
) -> PromotionEvent:
    """Give ``stage`` to ``version`` as another registry already did (an MLflow import).

    Not gated, like a rollback: it records a decision made elsewhere, it does not make one.
    """
    return _promote(
        name,
        version,
        stage,
        checks=(),
        reason=reason,
        validate=None,
        stages=None,
        user=None,
        kernel_name=None,
        timeout=None,
        store=store,
        action="promote",
        gated=False,
    )


def check_promotion(
    name: str,
    version: int | str,
    to: str = "production",
    *,
    checks: Iterable[str] | str = (),
    validate: str | os.PathLike[str] | None = None,
    stages: Iterable[str] | None = None,
    kernel_name: str | None = None,
    timeout: float | None = None,
    store: Store | None = None,
) -> PromotionCheck:
    """Evaluate a promotion without doing it (a dry run): no stage moves, no event is written.

    The checks, their context (including ``<stage>.*`` / ``current.*``, the versions holding
    the stages now) and the validation notebook are exactly those of :func:`promote`, which
    runs this same evaluation before it writes. A validation notebook runs only when
    ``validate`` is given; it is a real run and its metrics are logged to it.

    Args:
        name: the registered model.
        version: the candidate version.
        to: the stage it would move.
        checks: gate expressions, e.g. ``"metrics.roc_auc >= production.metrics.roc_auc"``.
        validate: a validation notebook to execute against the candidate first.
        stages: the allowed stages (default: config ``stages``, else staging, production).
        kernel_name: the kernel for the validation notebook (default: the notebook's).
        timeout: seconds each validation cell may run.
        store: the store (default: the project's store).

    Returns:
        Every check's result (the configured ``stage_checks`` first); ``.passed`` says
        whether :func:`promote` would move the stage now. A failing check is a result, not an
        exception; so is a gated stage with no check at all (one failed result saying so).

    Raises:
        MlopsUsageError: an unknown stage, a bad version, a missing validation notebook, or
            the version already holds the stage.
        NotFoundError: an unknown model or version.
    """
    return evaluate(
        name,
        version,
        to,
        checks=checks,
        validate=validate,
        stages=stages,
        kernel_name=kernel_name,
        timeout=timeout,
        store=store or current_store(),
    ).check


def _promote(
    name: str,
    version: int | str,
    to: str,
    *,
    checks: Iterable[str] | str,
    reason: str | None,
    validate: str | os.PathLike[str] | None,
    stages: Iterable[str] | None,
    user: str | None,
    kernel_name: str | None,
    timeout: float | None,
    store: Store | None,
    action: str,
    gated: bool = True,
) -> PromotionEvent:
    store = store or current_store()
    who = user or user_name()
    evaluated = evaluate(
        name,
        version,
        to,
        checks=checks,
        validate=validate,
        stages=stages,
        kernel_name=kernel_name,
        timeout=timeout,
        store=store,
        parse_first=True,
        gated=gated,
    )
    plan = evaluated.check
    attempt = Attempt(
        evaluated.model_id,
        name,
        to,
        plan.from_version,
        plan.version,
        action,
        plan.checks,
        plan.validation,
        reason,
        who,
    )
    if not plan.passed:
        with store.write() as conn:
            event_id = record(conn, attempt, "refused")
        raise GateRefused(
            f"Promotion of {name} v{plan.version} to {to} refused: "
            + "; ".join(r.message.removeprefix("refused: ") for r in plan.failed),
            model=name,
            version=plan.version,
            stage=to,
            from_version=plan.from_version,
            checks=[r.to_dict() for r in plan.checks],
            failed=[r.to_dict() for r in plan.failed],
            event_id=event_id,
        )
    moved = stored.move_stage(
        store,
        model=evaluated.model_id,
        stage=to,
        version_id=evaluated.candidate_id,
        holder_id=evaluated.holder_id,
        event=attempt.event("promoted"),
    )
    if moved is None:
        _lost_race(store, attempt)
    return events(name, stage=to, store=store, event_id=moved)[0]


def _lost_race(store: Store, attempt: Attempt) -> None:
    with store.write() as conn:
        now_held = stored.stage_holders(conn, attempt.model_id).get(attempt.stage)
        now_text = f"v{now_held[1]}" if now_held else "no version"
        was = f"v{attempt.from_version}" if attempt.from_version is not None else "no version"
        detail = (
            f"stage {attempt.stage} moved from {was} to {now_text} "
            "while this promotion was being checked"
        )
        event_id = record(conn, attempt, "conflict", detail)
    raise ConflictError(
        f"Promotion of {attempt.name} v{attempt.to_version} to {attempt.stage} lost a race: "
        f"{detail}; nothing changed. Run it again to check against the new holder.",
        model=attempt.name,
        version=attempt.to_version,
        stage=attempt.stage,
        event_id=event_id,
    )


def rollback(
    name: str,
    *,
    stage: str = "production",
    version: int | str | None = None,
    checks: Iterable[str] | str = (),
    reason: str | None = None,
    stages: Iterable[str] | None = None,
    user: str | None = None,
    store: Store | None = None,
) -> PromotionEvent:
    """Give ``stage`` back to an earlier version (default: the one the holder replaced).

    A rollback is a promotion with its own audit event (action ``rollback``); checks are
    optional and evaluated as for :func:`promote`. It is not gated: an emergency restore of
    a version that held the stage needs no check, and ``stage_checks`` do not apply.

    Raises:
        MlopsUsageError: no earlier version is known for the stage.
    """
    check_name(name)
    store = store or current_store()
    if version is None:
        with store.read() as conn:
            holder = stored.stage_holders(conn, stored.model_id(conn, name)).get(stage)
        if holder is None:
            raise MlopsUsageError(
                f"No version of {name!r} holds stage {stage!r}; nothing to roll back."
            )
        previous = [
            e.from_version
            for e in events(name, stage=stage, store=store)
            if e.outcome == "promoted" and e.to_version == holder[1] and e.from_version is not None
        ]
        if not previous:
            raise MlopsUsageError(
                f"No earlier version of {name!r} held stage {stage!r}; give version=N."
            )
        version = previous[-1]
    return _promote(
        name,
        version,
        stage,
        checks=checks,
        reason=reason,
        validate=None,
        stages=stages,
        user=user,
        kernel_name=None,
        timeout=None,
        store=store,
        action="rollback",
        gated=False,
    )
