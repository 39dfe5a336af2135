"""scikit-learn estimators, saved with skops (which loads without running code)."""

from __future__ import annotations

import importlib
import pickle
import sys
from types import ModuleType
from typing import Any

from jupyter_mlops.errors import UntrustedArtifactError
from jupyter_mlops.tracking.flavors.base import Saved, class_name, instance_of

SKOPS_MEDIA_TYPE = "application/x-skops"
_SAFE_MODULES = frozenset({"sklearn", "numpy", "scipy", "builtins", "collections"})


#: Packages that scikit-learn's ``all_estimators()`` (which skops runs as it imports) imports
#: only to walk into them: its array-API adapters, which import torch, dask or cupy when they
#: are installed (seconds, for torch). They are held out while skops imports.
_WALKED_ONLY = tuple(
    f"sklearn.externals.array_api_compat.{name}" for name in ("torch", "dask", "cupy")
)


class _HeldOut(ModuleType):
    """Stands in for a package while skops imports; without ``__path__``, never walked into."""


def import_skops() -> ModuleType:
    """``skops.io``, imported without the array-API adapters scikit-learn walks past.

    Only what was not imported already is held out, and only during the import: a later use
    of scikit-learn's array API with torch imports the real adapter as usual. Call it in the
    cell's thread (:mod:`~jupyter_mlops.tracking.after_cell`), like any import of ours.
    """
    loaded = sys.modules.get("skops.io")
    if loaded is not None and hasattr(loaded, "dumps"):
        return loaded
    held = [name for name in _WALKED_ONLY if name not in sys.modules]
    for name in held:
        sys.modules[name] = _HeldOut(name)
    try:
        importlib.import_module("skops.io")
    finally:
        for name in held:
            if isinstance(sys.modules.get(name), _HeldOut):
                del sys.modules[name]
    return sys.modules["skops.io"]


def is_sklearn_estimator(obj: Any) -> bool:
    """Whether ``obj`` is a scikit-learn estimator (never imports scikit-learn)."""
    return instance_of(obj, "sklearn.base", "BaseEstimator")


class SklearnFlavor:
    """scikit-learn estimators and pipelines; skops, or pickle when skops cannot write one."""

    name = "sklearn"

    def handles(self, model: Any) -> bool:
        return is_sklearn_estimator(model)

    def save(self, model: Any) -> Saved:
        sio = import_skops()  # loaded on the first model saved, not by the capture

        try:
            data = sio.dumps(model)
        except Exception:  # noqa: BLE001 - skops cannot write some custom objects: use pickle
            from jupyter_mlops.tracking.flavors.python import PICKLE_MEDIA_TYPE

            data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
            return Saved(data, "pickle", self.name, class_name(model), PICKLE_MEDIA_TYPE)
        return Saved(data, "skops", self.name, class_name(model), SKOPS_MEDIA_TYPE)

    def load(self, data: bytes, format: str, *, trusted: bool) -> Any:
        if format != "skops":
            # start-up: the pickle flavor (and its trust checks) only for old pickled models
            from jupyter_mlops.tracking.flavors.python import load_pickle

            return load_pickle(data, trusted=trusted)
        sio = import_skops()  # loaded when a model is loaded

        untrusted = sio.get_untrusted_types(data=data)
        unsafe = [name for name in untrusted if name.split(".", 1)[0] not in _SAFE_MODULES]
        if unsafe and not trusted:
            raise UntrustedArtifactError(
                "This model contains types outside scikit-learn/numpy/scipy "
                f"({', '.join(unsafe)}); load it with trusted=True only if you trust its author."
            )
        return sio.loads(data, trusted=untrusted)

    def predict(self, model: Any, frame: Any) -> Any:
        return model.predict(frame)
