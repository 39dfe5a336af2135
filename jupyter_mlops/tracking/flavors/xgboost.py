"""XGBoost models in XGBoost's own UBJSON format (no code runs on load).

A scikit-learn-API model (``XGBClassifier``…) keeps its class in the format,
``ubj:xgboost.sklearn.XGBClassifier``, and loads as that class; a ``Booster`` is plain ``ubj``.
"""

from __future__ import annotations

from typing import Any

from jupyter_mlops.tracking.flavors._files import class_in, framework, from_file, via_file
from jupyter_mlops.tracking.flavors.base import Saved, class_name, instance_of

MEDIA_TYPE = "application/ubjson"


class XGBoostFlavor:
    """``xgboost.Booster`` and the scikit-learn API estimators."""

    name = "xgboost"

    def handles(self, model: Any) -> bool:
        return instance_of(model, "xgboost.core", "Booster") or instance_of(
            model, "xgboost.sklearn", "XGBModel"
        )

    def save(self, model: Any) -> Saved:
        if instance_of(model, "xgboost.core", "Booster"):
            data = bytes(model.save_raw(raw_format="ubj"))
            return Saved(data, "ubj", self.name, class_name(model), MEDIA_TYPE)
        data = via_file(model.save_model, ".ubj")
        return Saved(data, f"ubj:{class_name(model)}", self.name, class_name(model), MEDIA_TYPE)

    def load(self, data: bytes, format: str, *, trusted: bool) -> Any:
        xgb = framework("xgboost", "XGBoost")
        _, _, path = format.partition(":")
        if not path:
            return xgb.Booster(model_file=bytearray(data))
        model = class_in(xgb, path, "xgboost")()
        from_file(data, model.load_model, ".ubj")
        return model

    def predict(self, model: Any, frame: Any) -> Any:
        if instance_of(model, "xgboost.core", "Booster"):
            xgb = framework("xgboost", "XGBoost")
            return model.predict(xgb.DMatrix(frame))
        return model.predict(frame)
