"""LightGBM models as LightGBM's text model (no code runs on load).

Every LightGBM model loads as a ``lightgbm.Booster`` (the scikit-learn wrappers cannot be
rebuilt from the text model): its ``predict`` gives the booster's output, probabilities for a
classifier.
"""

from __future__ import annotations

from typing import Any

from jupyter_mlops.tracking.flavors._files import framework
from jupyter_mlops.tracking.flavors.base import Saved, class_name, instance_of


class LightGBMFlavor:
    """``lightgbm.Booster`` and the scikit-learn API estimators (their fitted booster)."""

    name = "lightgbm"

    def handles(self, model: Any) -> bool:
        return instance_of(model, "lightgbm.basic", "Booster") or instance_of(
            model, "lightgbm.sklearn", "LGBMModel"
        )

    def save(self, model: Any) -> Saved:
        booster = model if instance_of(model, "lightgbm.basic", "Booster") else model.booster_
        data = booster.model_to_string().encode()
        return Saved(data, "txt", self.name, class_name(model), "text/plain")

    def load(self, data: bytes, format: str, *, trusted: bool) -> Any:
        lgb = framework("lightgbm", "LightGBM")
        return lgb.Booster(model_str=data.decode())

    def predict(self, model: Any, frame: Any) -> Any:
        return model.predict(frame)
