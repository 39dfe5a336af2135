"""Model flavors: how each framework's models are saved, loaded and asked to predict.

:data:`FLAVORS` is the whole table, most specific first (a framework's scikit-learn
wrappers are scikit-learn estimators too, so its own flavor must come before
``sklearn``; ``python`` takes anything and comes last). Every flavor saves in the
framework's own format and never imports its framework to look at a model.
"""

from __future__ import annotations

from typing import Any

from jupyter_mlops.errors import MlopsError
from jupyter_mlops.tracking.flavors.base import Flavor, Saved, class_name
from jupyter_mlops.tracking.flavors.catboost import CatBoostFlavor
from jupyter_mlops.tracking.flavors.keras import KerasFlavor
from jupyter_mlops.tracking.flavors.lightgbm import LightGBMFlavor
from jupyter_mlops.tracking.flavors.python import PICKLE_MEDIA_TYPE, PythonFlavor
from jupyter_mlops.tracking.flavors.signature import infer_signature
from jupyter_mlops.tracking.flavors.sklearn import (
    SKOPS_MEDIA_TYPE,
    SklearnFlavor,
    is_sklearn_estimator,
)
from jupyter_mlops.tracking.flavors.statsmodels import StatsmodelsFlavor
from jupyter_mlops.tracking.flavors.torch import TorchFlavor
from jupyter_mlops.tracking.flavors.xgboost import XGBoostFlavor

FLAVORS: tuple[Flavor, ...] = (
    XGBoostFlavor(),
    LightGBMFlavor(),
    CatBoostFlavor(),
    StatsmodelsFlavor(),
    KerasFlavor(),  # a Keras 3 model on the torch backend is a torch.nn.Module too
    TorchFlavor(),
    SklearnFlavor(),
    PythonFlavor(),
)


def flavor_for(model: Any) -> Flavor:
    """The flavor that saves ``model`` (the first in :data:`FLAVORS` that handles it)."""
    return next(f for f in FLAVORS if f.handles(model))


def flavor_named(name: str) -> Flavor:
    """The flavor called ``name``.

    Raises:
        MlopsError: no flavor of that name (a model saved by a newer jupyter-mlops).
    """
    for flavor in FLAVORS:
        if flavor.name == name:
            return flavor
    known = ", ".join(f.name for f in FLAVORS)
    raise MlopsError(
        f"No model flavor {name!r} in this jupyter-mlops (known: {known}); "
        "upgrade jupyter-mlops to load this model."
    )


def save(model: Any) -> Saved:
    """``model`` as bytes in its framework's own format."""
    return flavor_for(model).save(model)


def load(data: bytes, *, flavor: str, format: str, trusted: bool = False) -> Any:
    """The native model from saved bytes.

    Raises:
        UntrustedArtifactError: a format that can run code on load, without ``trusted``.
    """
    return flavor_named(flavor).load(data, format, trusted=trusted)


__all__ = [
    "FLAVORS",
    "PICKLE_MEDIA_TYPE",
    "SKOPS_MEDIA_TYPE",
    "Flavor",
    "Saved",
    "class_name",
    "flavor_for",
    "flavor_named",
    "infer_signature",
    "is_sklearn_estimator",
    "load",
    "save",
]
