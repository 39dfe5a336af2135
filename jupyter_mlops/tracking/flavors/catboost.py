"""CatBoost models in CatBoost's binary ``.cbm`` format (no code runs on load).

The format keeps the class, ``cbm:catboost.core.CatBoostClassifier``, so the model loads as
the class it was fitted as.
"""

from __future__ import annotations

from typing import Any

from jupyter_mlops.tracking.flavors._files import class_in, framework, via_file
from jupyter_mlops.tracking.flavors.base import Saved, class_name, instance_of


class CatBoostFlavor:
    """``CatBoost``, ``CatBoostClassifier``, ``CatBoostRegressor``, ``CatBoostRanker``."""

    name = "catboost"

    def handles(self, model: Any) -> bool:
        return instance_of(model, "catboost.core", "CatBoost")

    def save(self, model: Any) -> Saved:
        data = via_file(lambda path: model.save_model(path, format="cbm"), ".cbm")
        fmt = f"cbm:{class_name(model)}"
        return Saved(data, fmt, self.name, class_name(model), "application/octet-stream")

    def load(self, data: bytes, format: str, *, trusted: bool) -> Any:
        cb = framework("catboost", "CatBoost")
        _, _, path = format.partition(":")
        model = class_in(cb, path or "catboost.core.CatBoost", "catboost")()
        return model.load_model(blob=data)

    def predict(self, model: Any, frame: Any) -> Any:
        return model.predict(frame)
