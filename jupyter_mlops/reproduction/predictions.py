"""Compare two models by their predictions on the recorded data a reproduction kept.

Used when a model's bytes differ (skops and other formats embed the time they were written):
both models predict on each data value :mod:`~.probe` saved (evaluation data first, then
training data), and the first prediction that differs beyond the tolerance is reported.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_mlops.artifacts.cas import ObjectStore
from jupyter_mlops.reproduction.probe import INDEX
from jupyter_mlops.store.records import ModelRecord
from jupyter_mlops.tracking import flavors


@dataclass(frozen=True)
class PredictionCheck:
    """The outcome of predicting with both models: ``same`` or the first difference."""

    compared: bool
    same: bool
    data: str = ""
    rows: int = 0
    index: int | None = None
    original: Any = None
    reproduced: Any = None
    max_delta: float = 0.0
    note: str = ""


def _recorded(folder: Path) -> list[dict[str, str]]:
    try:
        entries = json.loads((folder / INDEX).read_text())
    except (OSError, ValueError):
        return []
    order = {"evaluation": 0, "training": 1}
    return sorted(
        (e for e in entries if isinstance(e, dict)), key=lambda e: order.get(e.get("role", ""), 2)
    )


def _load(objects: ObjectStore, model: ModelRecord) -> Any:
    # Both models were captured into this store by its own runs; the reproduction is asked
    # for by the user who owns them, so formats that need trust are loaded.
    data = objects.read_bytes(model.digest)
    return flavors.load(data, flavor=model.flavor, format=model.format, trusted=True)


def _predict(model: Any, X: Any) -> Any:
    import numpy as np

    return np.asarray(model.predict(X))


def compare_predictions(
    objects: ObjectStore,
    original: ModelRecord,
    reproduced: ModelRecord,
    folder: Path,
    *,
    tolerance: float,
) -> PredictionCheck:
    """Predict with both models on the kept data; the first differing row, if any."""
    import numpy as np

    entries = _recorded(folder)
    if not entries:
        return PredictionCheck(False, False, note="no recorded data was found in the reproduction")
    try:
        a_model, b_model = _load(objects, original), _load(objects, reproduced)
    except Exception as exc:  # noqa: BLE001 - a model that cannot load cannot be compared
        return PredictionCheck(False, False, note=f"cannot load the models: {exc}")
    for entry in entries:
        try:
            with open(entry["file"], "rb") as fh:
                X = pickle.load(fh)  # noqa: S301 - this reproduction's own file (see probe)
            a, b = _predict(a_model, X), _predict(b_model, X)
        except Exception:  # noqa: BLE001, S112 - not the model's input (labels): try the next
            continue
        label = f"{entry['role']} data {entry['name']}"
        if a.shape != b.shape:
            return PredictionCheck(True, False, label, len(a), None, a.shape, b.shape, np.inf)
        if np.issubdtype(a.dtype, np.number) and np.issubdtype(b.dtype, np.number):
            delta = np.abs(a.astype(float) - b.astype(float)).reshape(len(a), -1).max(axis=1)
            bad = np.flatnonzero(~(delta <= tolerance))
            worst = float(np.nanmax(delta)) if len(delta) else 0.0
        else:
            bad = np.flatnonzero((a != b).reshape(len(a), -1).any(axis=1))
            worst = 0.0 if not len(bad) else np.inf
        if len(bad):
            i = int(bad[0])
            return PredictionCheck(
                True, False, label, len(a), i, a[i].tolist(), b[i].tolist(), worst
            )
        return PredictionCheck(True, True, label, len(a), max_delta=worst)
    return PredictionCheck(False, False, note="neither model could predict on the recorded data")
