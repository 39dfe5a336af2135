"""Saving and loading models: skops for scikit-learn, pickle only when trusted."""

from __future__ import annotations

import io
import pickle
import sys
from dataclasses import dataclass
from typing import Any

from jupyter_mlops.errors import MlopsError, UntrustedArtifactError

SKOPS_MEDIA_TYPE = "application/x-skops"
PICKLE_MEDIA_TYPE = "application/x-pickle"


@dataclass(frozen=True)
class SerializedModel:
    """A model as bytes plus how to read it back."""

    data: bytes
    format: str  # "skops" or "pickle"
    flavor: str  # "sklearn" or "python"
    class_name: str

    @property
    def media_type(self) -> str:
        return SKOPS_MEDIA_TYPE if self.format == "skops" else PICKLE_MEDIA_TYPE


def class_name(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def is_sklearn_estimator(obj: Any) -> bool:
    # An object can only be an estimator if scikit-learn is already imported: never import it.
    base = sys.modules.get("sklearn.base")
    return base is not None and isinstance(obj, base.BaseEstimator)


def serialize_model(model: Any) -> SerializedModel:
    """Serialize ``model``: skops when it can, else pickle (which loads only when trusted)."""
    if is_sklearn_estimator(model):
        # skops is slow to import: only when a scikit-learn model is saved or loaded.
        import skops.io as sio

        try:
            return SerializedModel(sio.dumps(model), "skops", "sklearn", class_name(model))
        except Exception:  # noqa: BLE001, S110 - skops cannot write some custom objects: use pickle
            pass
    flavor = "sklearn" if is_sklearn_estimator(model) else "python"
    return SerializedModel(
        pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL), "pickle", flavor, class_name(model)
    )


def _trusted_prefix(type_name: str) -> bool:
    return type_name.split(".", 1)[0] in {"sklearn", "numpy", "scipy", "builtins", "collections"}


def deserialize_model(data: bytes, fmt: str, *, trusted: bool = False) -> Any:
    """Load a model from bytes; pickle, and skops types from outside scikit-learn, need trust."""
    if fmt == "skops":
        # skops is slow to import: only when a scikit-learn model is saved or loaded.
        import skops.io as sio

        untrusted = sio.get_untrusted_types(data=data)
        unsafe = [name for name in untrusted if not _trusted_prefix(name)]
        if unsafe and not trusted:
            raise UntrustedArtifactError(
                "This model contains types outside scikit-learn/numpy/scipy "
                f"({', '.join(unsafe)}); load it with trusted=True only if you trust its author."
            )
        return sio.loads(data, trusted=untrusted)
    if fmt == "pickle":
        if not trusted:
            raise UntrustedArtifactError(
                "This model is a pickle, which can run arbitrary code when loaded; "
                "pass trusted=True only if you trust its author."
            )
        return pickle.load(io.BytesIO(data))  # noqa: S301 - the caller explicitly trusted it
    raise MlopsError(f"Unknown model format {fmt!r}.")


def infer_signature(X: Any) -> dict[str, Any] | None:
    """Column names and dtypes of a frame, or shape and dtype of an array."""
    columns = getattr(X, "columns", None)
    dtypes = getattr(X, "dtypes", None)
    if columns is not None and dtypes is not None:
        return {
            "type": "dataframe",
            "columns": [
                {"name": str(c), "dtype": str(d)} for c, d in zip(columns, dtypes, strict=False)
            ],
        }
    shape = getattr(X, "shape", None)
    dtype = getattr(X, "dtype", None)
    if shape is not None:
        return {
            "type": "array",
            "shape": [None, *[int(s) for s in shape[1:]]],
            "dtype": str(dtype),
        }
    if isinstance(X, list) and X:
        return {"type": "list", "length": None}
    return None
