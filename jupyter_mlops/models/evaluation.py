"""Evaluating a promotion's checks: the candidate, the stage holders and the validation run.

:func:`evaluate` is what both a promotion and its dry run (``check_promotion``) do before
anything is written: read the candidate and the versions holding the stages now, run the
validation notebook when one is given, and evaluate every check against that context.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jupyter_mlops.errors import FilterSyntaxError, MlopsUsageError
from jupyter_mlops.expressions import Gate, GateResult, Missing, evaluate_all, parse_gate
from jupyter_mlops.models.reproducible import check_reproducible, parse_reproducible
from jupyter_mlops.models.stages import check_stages, gate_policy, ungated_message
from jupyter_mlops.models.uri import check_name, check_stage, check_version
from jupyter_mlops.models.validation import ValidationResult, check_notebook, run_validation
from jupyter_mlops.store import Store
from jupyter_mlops.store import models as stored
from jupyter_mlops.store.models import StoredModelVersion


def _namespace(v: StoredModelVersion, metrics: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {
        "metrics": {**(v.card.get("metrics") or {}), **(metrics or {})},
        "params": dict(v.card.get("params") or {}),
        "tags": dict(v.tags),
        "version": v.version,
    }


def gate_context(
    name: str,
    candidate: StoredModelVersion,
    holders: Mapping[str, StoredModelVersion | None],
    target: str,
    validation: ValidationResult | None,
) -> dict[str, Any]:
    """The mapping promotion checks are evaluated against (see ``models.promote``)."""
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


@dataclass(frozen=True)
class Evaluated:
    """A promotion's checks plus the row ids its compare-and-set write needs."""

    check: PromotionCheck
    model_id: int
    candidate_id: int
    holder_id: int | None


def evaluate(
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
    gated: bool = True,
) -> Evaluated:
    """Read the candidate and the stage holders, run the validation, evaluate the checks.

    With ``gated`` (a promotion, not a rollback), the configured ``stage_checks`` of ``to``
    come first, before ``checks``; a promotion to one of the ``gated_stages`` with no check
    at all is refused as bad usage (MlopsUsageError) before anything runs or is recorded, and
    a dry run reports that refusal as its one failed result.

    With ``parse_first`` (a promotion), a check that does not parse is refused as bad usage
    (FilterSyntaxError) before anything runs or is recorded; a dry run reports it as that
    check's error, beside the other results.
    """
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
    ungated = None
    if gated:
        policy, needs_gate = gate_policy(to)
        for expression in policy if parse_first else ():
            try:
                if parse_reproducible(expression) is None:
                    parse_gate(expression)
            except FilterSyntaxError as exc:  # say where it comes from: not the user's input
                raise MlopsUsageError(f"stage_checks.{to} in the configuration: {exc}") from None
        # The team's policy always applies: a weaker explicit check adds to it.
        exprs = [*policy, *exprs]
        if needs_gate and not exprs and validate is None:
            ungated = ungated_message(to)
    # ``reproducible`` checks read certificates, not the gate context: split them off.
    parsed = {i: parse_reproducible(e) for i, e in enumerate(exprs)}
    certified = {i: tol for i, tol in parsed.items() if tol is not None}
    plain = [e for i, e in enumerate(exprs) if i not in certified]
    gates: list[str | Gate] = [parse_gate(e) for e in plain] if parse_first else list(plain)
    if validate is not None:
        check_notebook(validate)

    with store.read() as conn:
        mid = stored.model_id(conn, name)
        candidate = stored.version(conn, mid, name, number)
        held = stored.stage_holders(conn, mid)
        holders: dict[str, StoredModelVersion | None] = {
            stage: stored.version(conn, mid, name, held[stage][1]) if stage in held else None
            for stage in dict.fromkeys([*allowed, *held])
        }
        certificates = {
            i: check_reproducible(
                conn,
                exprs[i],
                tol,
                run_id=candidate.run_id,
                model_version_id=candidate.id,
                label=f"models:/{name}/{number}",
            )
            for i, tol in certified.items()
        }
    holder = holders[to]
    if holder is not None and holder.id == candidate.id:
        raise MlopsUsageError(f"Version {number} of {name!r} already holds stage {to!r}.")

    if ungated is not None and parse_first:
        raise MlopsUsageError(ungated)
    if ungated is not None:  # a dry run: report the refusal as its result, run nothing
        refused = GateResult("(no check)", False, message=ungated, error=ungated)
        check = PromotionCheck(
            name, number, to, holder.version if holder is not None else None, [refused]
        )
        return Evaluated(check, mid, candidate.id, holder.id if holder is not None else None)

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
    evaluated = iter(evaluate_all(gates, gate_context(name, candidate, holders, to, validation)))
    results = [certificates[i] if i in certificates else next(evaluated) for i in range(len(exprs))]
    if validation is not None:
        results.insert(0, validation.as_check())
    check = PromotionCheck(
        name, number, to, holder.version if holder is not None else None, results, validation
    )
    return Evaluated(check, mid, candidate.id, holder.id if holder is not None else None)
