"""Compare a reproduction with the original run: metrics, then models, then a verdict.

Metrics are compared by key with an absolute tolerance (default 0: exact); a metric the
original logged and the reproduction did not is a difference. Models are compared by name:
the same digest is the same model; different bytes (skops and other formats embed the time
they were written) are compared by their predictions on the recorded data (see
:mod:`~.predictions`). When no prediction can be made, the model is reported as differing in
bytes only, within tolerance, and the metrics decide.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_mlops.reproduction.predictions import PredictionCheck
from jupyter_mlops.store.records import ModelRecord

#: Compares two models whose bytes differ, by their predictions.
Predict = Callable[[ModelRecord, ModelRecord], PredictionCheck]

REPRODUCED = "reproduced"
WITHIN = "reproduced within tolerance"
NOT_REPRODUCED = "not reproduced"
VERDICTS = (REPRODUCED, WITHIN, NOT_REPRODUCED)


@dataclass(frozen=True)
class Difference:
    """One value that differs: ``kind`` is ``metric``, ``model`` or ``prediction``."""

    kind: str
    key: str
    original: Any
    reproduced: Any
    delta: float | None = None

    def __str__(self) -> str:
        if self.kind == "model":
            return f"model {self.key}: {self.original} vs {self.reproduced}"
        return (
            f"{self.kind} {self.key}: {_fmt(self.original)} (original) "
            f"vs {_fmt(self.reproduced)} (reproduced)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "original": _json(self.original),
            "reproduced": _json(self.reproduced),
            "delta": _json(self.delta),
        }


def _fmt(value: Any) -> str:
    return (
        "missing" if value is None else f"{value:.10g}" if isinstance(value, float) else str(value)
    )


def _json(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


@dataclass(frozen=True)
class Comparison:
    """What differs between two runs, beyond the tolerance and within it."""

    differences: list[Difference] = field(default_factory=list)
    within: list[Difference] = field(default_factory=list)
    max_delta: float = 0.0

    @property
    def same(self) -> bool:
        return not self.differences

    @property
    def verdict(self) -> str:
        if self.differences:
            return NOT_REPRODUCED
        return WITHIN if self.within else REPRODUCED


def _equal(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def compare_runs(
    metrics: Mapping[str, float],
    models: list[ModelRecord],
    new_metrics: Mapping[str, float],
    new_models: list[ModelRecord],
    *,
    tolerance: float,
    predict: Predict | None = None,
) -> Comparison:
    """The metrics (by key, in order) and the models (by name) that differ."""
    differences: list[Difference] = []
    within: list[Difference] = []
    max_delta = 0.0
    for key in sorted(metrics):
        a, b = metrics[key], new_metrics.get(key)
        if b is None:
            differences.append(Difference("metric", key, a, None))
            continue
        if _equal(a, b):
            continue
        delta = abs(a - b)
        diff = Difference("metric", key, a, b, delta)
        max_delta = max(max_delta, delta) if math.isfinite(delta) else math.inf
        (within if delta <= tolerance else differences).append(diff)
    by_name = {m.name: m for m in new_models}
    for model in models:
        twin = by_name.get(model.name)
        if twin is None:
            differences.append(Difference("model", model.name, model.digest[:12], "missing"))
        elif twin.digest != model.digest:
            check = predict(model, twin) if predict is not None else None
            if check is None or not check.compared:
                note = check.note if check is not None else "predictions not compared"
                within.append(Difference("model", model.name, f"bytes {model.digest[:12]}", note))
            elif not check.same:
                where = f"prediction {check.index} on {check.data}"
                differences.append(
                    Difference(
                        "prediction",
                        f"{model.name} {where}",
                        check.original,
                        check.reproduced,
                        check.max_delta,
                    )
                )
            elif check.max_delta > 0:
                max_delta = max(max_delta, check.max_delta)
                within.append(
                    Difference(
                        "prediction",
                        f"{model.name} on {check.data}",
                        "max difference",
                        check.max_delta,
                        check.max_delta,
                    )
                )
    return Comparison(differences, within, max_delta)
