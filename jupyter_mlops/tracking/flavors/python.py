"""Any other Python object: pickled, and loaded only when its author is trusted."""

from __future__ import annotations

import io
import pickle
from typing import Any

from jupyter_mlops.errors import MlopsUsageError, UntrustedArtifactError
from jupyter_mlops.tracking.flavors.base import Saved, class_name

PICKLE_MEDIA_TYPE = "application/x-pickle"


def load_pickle(data: bytes, *, trusted: bool) -> Any:
    """Unpickle ``data``, which can run arbitrary code: only when ``trusted``.

    Raises:
        UntrustedArtifactError: not trusted.
    """
    if not trusted:
        raise UntrustedArtifactError(
            "This model is a pickle, which can run arbitrary code when loaded; "
            "pass trusted=True only if you trust its author."
        )
    return pickle.load(io.BytesIO(data))  # noqa: S301 - the caller explicitly trusted it


class PythonFlavor:
    """The fallback: any object, pickled."""

    name = "python"

    def handles(self, model: Any) -> bool:
        return True

    def save(self, model: Any) -> Saved:
        data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        return Saved(data, "pickle", self.name, class_name(model), PICKLE_MEDIA_TYPE)

    def load(self, data: bytes, format: str, *, trusted: bool) -> Any:
        return load_pickle(data, trusted=trusted)

    def predict(self, model: Any, frame: Any) -> Any:
        predict = getattr(model, "predict", None)
        if not callable(predict):
            raise MlopsUsageError(
                f"A {class_name(model)} has no predict method: it cannot serve predictions."
            )
        return predict(frame)
