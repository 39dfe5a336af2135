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

import json
import os
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from jupyter_mlops.errors import ConflictError, GateRefused, MlopsUsageError
from jupyter_mlops.expressions import Gate, GateResult, Missing, evaluate_all, parse_gate
from jupyter_mlops.identity import user_name
from jupyter_mlops.models import _db
from jupyter_mlops.models.records import PromotionEvent, decode_checks, encode_checks
from jupyter_mlops.models.uri import check_name, check_stage, check_version
from jupyter_mlops.models.validation import ValidationResult, check_notebook, run_validation
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import tables as t

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_STAGES: tuple[str, ...] = ("staging", "production")
#: Names a gate uses for the candidate itself; a stage may not take them.
RESERVED = frozenset({"metrics", "params", "tags", "version", "candidate", "current", "validation"})


def check_stages(stages: Iterable[str] | None) -> tuple[str, ...]:
    """Validate a stage list (default: config ``stages``, else ``("staging", "production")``)."""
    if stages is None:
        from jupyter_mlops.config import load_config

        configured = load_config().stages
        if configured is None:
            return DEFAULT_STAGES
        stages = configured
    if isinstance(stages, str):
        stages = [s.strip() for s in stages.split(",") if s.strip()]
    result = tuple(check_stage(s) for s in stages)
    if not result:
        raise MlopsUsageError("Give at least one stage.")
    clash = sorted(set(result) & RESERVED)
    if clash:
        raise MlopsUsageError(
            f"{clash[0]!r} cannot be a stage: gates use it for the candidate "
            f"({', '.join(sorted(RESERVED))} are reserved)."
        )
    return result


@dataclass(frozen=True)
class _Version:
    id: int
    version: int
    card: dict[str, Any]
    tags: dict[str, str]


def _namespace(v: _Version, metrics: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {
        "metrics": {**(v.card.get("metrics") or {}), **(metrics or {})},
        "params": dict(v.card.get("params") or {}),
        "tags": dict(v.tags),
        "version": v.version,
    }


def _read_version(conn: Connection, row: Row[Any]) -> _Version:
    return _Version(
        int(row.id),
        int(row.version),
        json.loads(row.card) if row.card else {},
        _db.tags_of(conn, int(row.id)),
    )


def gate_context(
    name: str,
    candidate: _Version,
    holders: Mapping[str, _Version | None],
    target: str,
    validation: ValidationResult | None,
) -> dict[str, Any]:
    """The mapping promotion checks are evaluated against (see :func:`promote`)."""
    own = _namespace(candidate, validation.metrics if validation else None)
    context: dict[str, Any] = {**own, "candidate": own}
    for stage, holder in holders.items():
        context[stage] = (
            _namespace(holder)
            if holder is not None
            else Missing(
                f"no version of {name!r} holds stage {stage!r} yet, so a check cannot compare "
                f"with {stage}.*; promote a first version without that check"
            )
        )
    context["current"] = context[target]
    context["validation"] = (
        {"metrics": dict(validation.metrics)}
        if validation is not None
        else Missing("no validation notebook ran; pass validate='NOTEBOOK.ipynb'")
    )
    return context


@dataclass(frozen=True)
class _Attempt:
    """One promotion attempt, as recorded in its audit event."""

    mid: int
    name: str
    stage: str
    from_version: int | None
    to_version: int
    action: str
    checks: list[GateResult]
    validation: ValidationResult | None
    reason: str | None
    user: str


def _insert_event(
    conn: Connection, attempt: _Attempt, outcome: str, detail: str | None = None
) -> int:
    validation = attempt.validation.to_dict() if attempt.validation else None
    result = conn.execute(
        insert(t.promotion_events).values(
            model_id=attempt.mid,
            stage=attempt.stage,
            from_version=attempt.from_version,
            to_version=attempt.to_version,
            outcome=outcome,
            checks=encode_checks(attempt.action, attempt.checks, validation, detail),
            reason=attempt.reason,
            user_name=attempt.user,
            host=socket.gethostname(),
            created_at=time.time(),
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


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
        ConflictError: another promotion moved the stage meanwhile; recorded as ``conflict``.
        FilterSyntaxError: a check that does not parse; nothing runs and nothing is recorded.
        MlopsUsageError: an unknown stage, a bad version or a missing validation notebook.
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


@dataclass(frozen=True)
class PromotionCheck:
    """What a promotion would do now: every check's result, nothing moved or recorded.

    Attributes:
        model: the registered model.
        version: the candidate version.
        stage: the stage it would move.
        from_version: the version holding ``stage`` now (None: no version holds it).
        checks: every result, in order; the validation notebook's first when one ran.
        validation: the validation notebook's outcome, or None when none ran.
    """

    model: str
    version: int
    stage: str
    from_version: int | None
    checks: list[GateResult]
    validation: ValidationResult | None = None

    @property
    def passed(self) -> bool:
        """True when every check passed, so ``promote`` would move the stage now."""
        return all(r.passed for r in self.checks)

    @property
    def failed(self) -> list[GateResult]:
        """The checks that failed or could not be evaluated."""
        return [r for r in self.checks if not r.passed]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "model": self.model,
            "version": self.version,
            "stage": self.stage,
            "from_version": self.from_version,
            "passed": self.passed,
            "checks": [r.to_dict() for r in self.checks],
            "validation": self.validation.to_dict() if self.validation else None,
        }

    def __str__(self) -> str:
        verdict = "would promote" if self.passed else "would be refused"
        return f"{self.model} v{self.version} -> {self.stage}: {verdict}"


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
        Every check's result; ``.passed`` says whether :func:`promote` would move the stage
        now. A failing check is a result, not an exception.

    Raises:
        MlopsUsageError: an unknown stage, a bad version, a missing validation notebook, or
            the version already holds the stage.
        NotFoundError: an unknown model or version.
    """
    return _evaluate(
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


@dataclass(frozen=True)
class _Evaluated:
    """A promotion's checks plus the row ids its compare-and-set write needs."""

    check: PromotionCheck
    mid: int
    candidate_id: int
    holder_id: int | None


def _evaluate(
    name: str,
    version: int | str,
    to: str,
    *,
    checks: Iterable[str] | str,
    validate: str | os.PathLike[str] | None,
    stages: Iterable[str] | None,
    kernel_name: str | None,
    timeout: float | None,
    store: Store,
    parse_first: bool = False,
) -> _Evaluated:
    """Read the candidate and the stage holders, run the validation, evaluate the checks."""
    check_name(name)
    number = check_version(version)
    allowed = check_stages(stages)
    check_stage(to)
    if to not in allowed:
        raise MlopsUsageError(
            f"Unknown stage {to!r}; the stages are {', '.join(allowed)} (pass stages=[...])."
        )
    exprs = [checks] if isinstance(checks, str) else list(checks)
    if not all(isinstance(e, str) for e in exprs):
        raise MlopsUsageError("checks must be gate expressions (strings).")
    # A promotion refuses a check that does not parse as bad usage, before anything runs or
    # is recorded; a dry run reports it as that check's error, beside the other results.
    gates: list[str | Gate] = [parse_gate(e) for e in exprs] if parse_first else list(exprs)
    if validate is not None:
        check_notebook(validate)

    with store.read() as conn:
        mid = _db.model_id(conn, name)
        candidate = _read_version(conn, _db.version_row(conn, mid, name, number))
        held = _db.stage_holders(conn, mid)
        holders: dict[str, _Version | None] = {}
        for stage in dict.fromkeys([*allowed, *held]):
            holders[stage] = (
                _read_version(conn, _db.version_row(conn, mid, name, held[stage][1]))
                if stage in held
                else None
            )
    holder = holders[to]
    if holder is not None and holder.id == candidate.id:
        raise MlopsUsageError(f"Version {number} of {name!r} already holds stage {to!r}.")

    validation = None
    if validate is not None:
        validation = run_validation(
            validate,
            model_uri=f"models:/{name}/{number}",
            stage=to,
            store=store,
            kernel_name=kernel_name,
            timeout=timeout,
        )
    results = evaluate_all(gates, gate_context(name, candidate, holders, to, validation))
    if validation is not None:
        results.insert(0, validation.as_check())
    check = PromotionCheck(
        name, number, to, holder.version if holder is not None else None, results, validation
    )
    return _Evaluated(check, mid, candidate.id, holder.id if holder is not None else None)


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
) -> PromotionEvent:
    store = store or current_store()
    who = user or user_name()
    evaluated = _evaluate(
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
    )
    plan = evaluated.check
    mid, number = evaluated.mid, plan.version
    results, validation, from_version = plan.checks, plan.validation, plan.from_version
    failed = plan.failed
    attempt = _Attempt(
        mid, name, to, from_version, number, action, results, validation, reason, who
    )
    if failed:
        with store.write() as conn:
            event_id = _insert_event(conn, attempt, "refused")
        raise GateRefused(
            f"Promotion of {name} v{number} to {to} refused: "
            + "; ".join(r.message.removeprefix("refused: ") for r in failed),
            model=name,
            version=number,
            stage=to,
            failed=[r.to_dict() for r in failed],
            event_id=event_id,
        )

    now = time.time()
    try:
        with store.write() as conn:
            if evaluated.holder_id is None:
                conn.execute(
                    insert(t.model_stages).values(
                        model_id=mid, stage=to, version_id=evaluated.candidate_id, updated_at=now
                    )
                )
                won = True
            else:
                moved = conn.execute(
                    update(t.model_stages)
                    .where(
                        t.model_stages.c.model_id == mid,
                        t.model_stages.c.stage == to,
                        t.model_stages.c.version_id == evaluated.holder_id,
                    )
                    .values(version_id=evaluated.candidate_id, updated_at=now)
                )
                won = moved.rowcount == 1
            if won:
                event_id = _insert_event(conn, attempt, "promoted")
    except IntegrityError:
        # Another promotion inserted the first holder of this stage after we read "none".
        won = False
    if not won:
        _lost_race(store, attempt)
    return events(name, stage=to, store=store, event_id=event_id)[0]


def _lost_race(store: Store, attempt: _Attempt) -> None:
    with store.write() as conn:
        now_held = _db.stage_holders(conn, attempt.mid).get(attempt.stage)
        now_text = f"v{now_held[1]}" if now_held else "no version"
        was = f"v{attempt.from_version}" if attempt.from_version is not None else "no version"
        detail = (
            f"stage {attempt.stage} moved from {was} to {now_text} "
            "while this promotion was being checked"
        )
        event_id = _insert_event(conn, attempt, "conflict", detail)
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
    optional and evaluated as for :func:`promote`.

    Raises:
        MlopsUsageError: no earlier version is known for the stage.
    """
    check_name(name)
    store = store or current_store()
    if version is None:
        with store.read() as conn:
            mid = _db.model_id(conn, name)
            holder = _db.stage_holders(conn, mid).get(stage)
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
    )


def events(
    name: str,
    *,
    stage: str | None = None,
    store: Store | None = None,
    event_id: int | None = None,
) -> list[PromotionEvent]:
    """The audit events of model ``name`` (optionally one stage), oldest first."""
    check_name(name)
    store = store or current_store()
    pe = t.promotion_events
    with store.read() as conn:
        mid = _db.model_id(conn, name)
        query = select(pe).where(pe.c.model_id == mid)
        if stage is not None:
            query = query.where(pe.c.stage == stage)
        if event_id is not None:
            query = query.where(pe.c.id == event_id)
        rows = conn.execute(query.order_by(pe.c.id)).all()
    result = []
    for r in rows:
        data = decode_checks(r.checks)
        result.append(
            PromotionEvent(
                id=int(r.id),
                model=name,
                stage=r.stage,
                action=str(data["action"]),
                from_version=None if r.from_version is None else int(r.from_version),
                to_version=int(r.to_version),
                outcome=r.outcome,
                checks=data["checks"],
                validation=data["validation"],
                detail=data["detail"],
                reason=r.reason,
                user=r.user_name,
                host=r.host,
                created_at=float(r.created_at),
            )
        )
    return result


def history(name: str, *, stage: str | None = None, store: Store | None = None) -> pd.DataFrame:
    """The audit trail of model ``name`` as a DataFrame, oldest first.

    Columns: ``id, created_at (UTC), stage, action, from_version, to_version, outcome,
    checks`` (one line per check: status and message), ``reason, detail, user, host,
    validation_run``; ``results`` holds the checks as dicts.
    """
    import pandas as pd

    rows = events(name, stage=stage, store=store)
    return pd.DataFrame(
        {
            "id": [e.id for e in rows],
            "created_at": pd.to_datetime([e.created_at for e in rows], unit="s", utc=True),
            "model": [e.model for e in rows],
            "stage": [e.stage for e in rows],
            "action": [e.action for e in rows],
            "from_version": pd.array([e.from_version for e in rows], dtype="Int64"),
            "to_version": [e.to_version for e in rows],
            "outcome": [e.outcome for e in rows],
            "checks": ["\n".join(c.message for c in e.checks) for e in rows],
            "reason": [e.reason for e in rows],
            "detail": [e.detail for e in rows],
            "user": [e.user for e in rows],
            "host": [e.host for e in rows],
            "validation_run": [(e.validation or {}).get("run_id") for e in rows],
            "results": [[c.to_dict() for c in e.checks] for e in rows],
        }
    )
