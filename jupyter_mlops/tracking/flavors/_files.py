"""Frameworks that save to and load from a path: round-trip through a temporary folder."""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from jupyter_mlops.errors import MlopsError


def via_file(write: Callable[[str], Any], suffix: str) -> bytes:
    """The bytes ``write(path)`` puts into a fresh file named ``*suffix``."""
    with tempfile.TemporaryDirectory(prefix="mlops-model-") as folder:
        path = str(Path(folder) / f"model{suffix}")
        write(path)
        return Path(path).read_bytes()


def from_file(data: bytes, read: Callable[[str], Any], suffix: str) -> Any:
    """What ``read(path)`` returns for a file holding ``data``."""
    with tempfile.TemporaryDirectory(prefix="mlops-model-") as folder:
        path = Path(folder) / f"model{suffix}"
        path.write_bytes(data)
        return read(str(path))


def framework(module: str, flavor: str) -> ModuleType:
    """Import the framework a saved model needs (loading a model may import it).

    Raises:
        MlopsError: the framework is not installed here.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MlopsError(
            f"This model was saved by {flavor}; install it to load the model "
            f"(pip install 'jupyter-mlops[frameworks]'): {exc}"
        ) from exc
