"""Keras 3 models in Keras' own ``.keras`` format, loaded in safe mode (no lambdas run)."""

from __future__ import annotations

from typing import Any

from jupyter_mlops.tracking.flavors._files import framework, from_file, via_file
from jupyter_mlops.tracking.flavors.base import Saved, class_name, instance_of


class KerasFlavor:
    """``keras.Model`` (functional, sequential or subclassed) on any backend."""

    name = "keras"

    def handles(self, model: Any) -> bool:
        return instance_of(model, "keras.src.models.model", "Model")

    def save(self, model: Any) -> Saved:
        data = via_file(model.save, ".keras")
        return Saved(data, "keras", self.name, class_name(model), "application/zip")

    def load(self, data: bytes, format: str, *, trusted: bool) -> Any:
        keras = framework("keras", "Keras")
        return from_file(data, lambda p: keras.saving.load_model(p, safe_mode=True), ".keras")

    def predict(self, model: Any, frame: Any) -> Any:
        values = frame.to_numpy(dtype="float32") if hasattr(frame, "to_numpy") else frame
        return model.predict(values, verbose=0)
