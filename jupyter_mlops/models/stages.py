"""The stages a model version can hold, and the names a stage may not take."""

from __future__ import annotations

from collections.abc import Iterable

from jupyter_mlops.config import load_config
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.models.uri import check_stage

DEFAULT_STAGES: tuple[str, ...] = ("staging", "production")
#: Names a gate uses for the candidate itself; a stage may not take them.
RESERVED = frozenset({"metrics", "params", "tags", "version", "candidate", "current", "validation"})


def gate_policy(stage: str) -> tuple[tuple[str, ...], bool]:
    """The checks the configuration makes every promotion to ``stage`` pass (``stage_checks``),
    and whether a promotion to it needs at least one check (``gated_stages``)."""
    config = load_config()
    return config.stage_checks.get(stage, ()), stage in config.gated_stages


def ungated_message(stage: str) -> str:
    """The one line refusing a promotion to a gated ``stage`` with no check at all."""
    gated = ", ".join(load_config().gated_stages)
    return (
        f"Promotion to {stage} needs at least one check (e.g. --check 'metrics.roc_auc >= 0.8')"
        f" or a default policy (stage_checks in [tool.jupyter-mlops]); gated stages: {gated}."
    )


def check_stages(stages: Iterable[str] | None) -> tuple[str, ...]:
    """Validate a stage list (default: config ``stages``, else ``("staging", "production")``).

    A string, or an item of the list, may name several stages separated by commas.
    """
    if stages is None:
        configured = load_config().stages
        if configured is None:
            return DEFAULT_STAGES
        stages = configured
    if isinstance(stages, str):
        stages = [stages]
    names: list[object] = []
    for item in stages:
        if isinstance(item, str):
            names.extend(s.strip() for s in item.split(",") if s.strip())
        else:
            names.append(item)  # refused by check_stage below, with its message
    result = tuple(check_stage(s) for s in names)
    if not result:
        raise MlopsUsageError("Give at least one stage.")
    clash = sorted(set(result) & RESERVED)
    if clash:
        raise MlopsUsageError(
            f"{clash[0]!r} cannot be a stage: gates use it for the candidate "
            f"({', '.join(sorted(RESERVED))} are reserved)."
        )
    return result
