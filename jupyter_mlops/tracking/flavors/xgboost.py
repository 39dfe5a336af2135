"""XGBoost models in XGBoost's own UBJSON format (no code runs on load).

A scikit-learn-API model (``XGBClassifier``, ``XGBRegressor``, ``XGBRanker``) loads as that
kind of estimator again (XGBoost writes its kind into the model); a ``Booster`` as a Booster.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_mlops.tracking.flavors._files import framework, via_file
from jupyter_mlops.tracking.flavors.base import Saved, class_name, instance_of

MEDIA_TYPE = "application/ubjson"
_ESTIMATORS = {"classifier": "XGBClassifier", "regressor": "XGBRegressor", "ranker": "XGBRanker"}


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
        data = via_file(model.save_model, ".ubj")  # the estimator's kind is saved with it
        return Saved(data, "ubj", self.name, class_name(model), MEDIA_TYPE)

    def load(self, data: bytes, format: str, *, trusted: bool) -> Any:
        xgb = framework("xgboost", "XGBoost")
        booster = xgb.Booster(model_file=bytearray(data))
        config = json.loads(booster.attr("scikit_learn") or "{}")
        estimator = _ESTIMATORS.get(str(config.get("_estimator_type")))
        if estimator is None:
            return booster
        model = getattr(xgb, estimator)()
        model.load_model(bytearray(data))
        return model

    def predict(self, model: Any, frame: Any) -> Any:
        if instance_of(model, "xgboost.core", "Booster"):
            xgb = framework("xgboost", "XGBoost")
            return model.predict(xgb.DMatrix(frame))
        return model.predict(frame)
