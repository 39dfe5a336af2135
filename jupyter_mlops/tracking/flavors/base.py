"""What a flavor is: how one framework's models are saved, loaded and asked to predict."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Saved:
    """A model as bytes plus what reads it back: its flavor and format."""

    data: bytes
    format: str
    flavor: str
    class_name: str
    media_type: str


class Flavor(Protocol):
    """One framework's models.

    ``handles`` must never import the framework: a model can only be one of its objects if
    the framework is imported already (check ``sys.modules``), so capture costs nothing for
    frameworks a notebook does not use.
    """

    name: str

    def handles(self, model: Any) -> bool:
        """Whether ``model`` is one of this flavor's models."""

    def save(self, model: Any) -> Saved:
        """The model as bytes in the framework's own safe format."""

    def load(self, data: bytes, format: str, *, trusted: bool) -> Any:
        """The native model from :meth:`save`'s bytes.

        Raises:
            UntrustedArtifactError: a format that can run code on load, without ``trusted``.
        """

    def predict(self, model: Any, frame: Any) -> Any:
        """The model's predictions for the rows of ``frame`` (a DataFrame), one per row."""


def class_name(obj: Any) -> str:
    """``module.QualifiedName`` of ``obj``'s class."""
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def instance_of(model: Any, module: str, name: str) -> bool:
    """Whether ``model`` is an instance of ``module.name``, if that module is imported at all."""
    found = sys.modules.get(module)
    cls = getattr(found, name, None) if found is not None else None
    return isinstance(cls, type) and isinstance(model, cls)
