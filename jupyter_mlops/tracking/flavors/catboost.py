"""CatBoost models in CatBoost's binary ``.cbm`` format (no code runs on load).

A model loads as a ``CatBoostClassifier``, ``CatBoostRanker`` or ``CatBoostRegressor`` as its
loss function says (CatBoost's own ``to_classifier``…), so ``predict`` gives labels for a
classifier as before it was saved.
"""

from __future__ import annotations

from typing import Any

from jupyter_mlops.tracking.flavors._files import framework, via_file
from jupyter_mlops.tracking.flavors.base import Saved, class_name, instance_of

_CLASSIFICATION = frozenset({"Logloss", "CrossEntropy", "MultiClass", "MultiClassOneVsAll"})
_RANKING = frozenset({"YetiRank", "YetiRankPairwise", "PairLogit", "PairLogitPairwise"})
_RANKING |= {"QueryRMSE", "QuerySoftMax", "QueryCrossEntropy", "StochasticRank"}


class CatBoostFlavor:
    """``CatBoost``, ``CatBoostClassifier``, ``CatBoostRegressor``, ``CatBoostRanker``."""

    name = "catboost"

    def handles(self, model: Any) -> bool:
        return instance_of(model, "catboost.core", "CatBoost")

    def save(self, model: Any) -> Saved:
        data = via_file(lambda path: model.save_model(path, format="cbm"), ".cbm")
        return Saved(data, "cbm", self.name, class_name(model), "application/octet-stream")

    def load(self, data: bytes, format: str, *, trusted: bool) -> Any:
        cb = framework("catboost", "CatBoost")
        model = cb.CatBoost().load_model(blob=data)
        loss = str(model.get_all_params().get("loss_function", ""))
        if loss in _CLASSIFICATION:
            return cb.to_classifier(model)
        if loss in _RANKING:
            return cb.to_ranker(model)
        return cb.to_regressor(model)

    def predict(self, model: Any, frame: Any) -> Any:
        return model.predict(frame)
