"""What users log, checked and turned into what is stored: names, param text, metric numbers."""

from __future__ import annotations

import json
import operator
import warnings
from pathlib import PurePosixPath
from typing import Any

from jupyter_mlops.errors import MlopsUsageError, MlopsWarning

MAX_KEY = 250


def check_key(kind: str, key: Any) -> str:
    """A param, metric or tag name, checked (non-empty, at most MAX_KEY characters, no NUL)."""
    if not isinstance(key, str) or not key.strip():
        raise MlopsUsageError(f"A {kind} name must be a non-empty string, not {key!r}.")
    if len(key) > MAX_KEY:
        raise MlopsUsageError(f"The {kind} name {key[:40]!r}… is longer than {MAX_KEY} characters.")
    if "\x00" in key:
        raise MlopsUsageError(f"The {kind} name {key!r} contains a NUL character.")
    return key


def check_artifact_name(name: Any) -> str:
    """Reject names that could escape the run's artifact namespace."""
    if not isinstance(name, str) or not name.strip():
        raise MlopsUsageError(f"An artifact name must be a non-empty string, not {name!r}.")
    if "\x00" in name:
        raise MlopsUsageError(f"Artifact name {name!r} contains a NUL character; remove it.")
    if "\\" in name:
        raise MlopsUsageError(f"Artifact name {name!r} contains a backslash; use '/' to nest.")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise MlopsUsageError(f"Artifact name {name!r} is absolute; give a relative name.")
    parts = PurePosixPath(name).parts
    if any(part == ".." for part in parts):
        raise MlopsUsageError(f"Artifact name {name!r} contains '..'; give a name inside the run.")
    if len(name) > 500:
        raise MlopsUsageError("Artifact names are limited to 500 characters.")
    return "/".join(p for p in parts if p != ".")


def param_text(key: str, value: Any) -> str:
    """Stored form of a param value: text for scalars, JSON for containers, else repr."""
    if isinstance(value, str):
        return value
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        value = item()
    if value is None or isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, list | tuple | dict):
        try:
            return json.dumps(value, sort_keys=isinstance(value, dict))
        except (TypeError, ValueError):
            pass
    warnings.warn(
        f"param {key!r}: {type(value).__name__} is not JSON-serializable; stored its repr.",
        MlopsWarning,
        stacklevel=3,
    )
    return repr(value)


def metric_step(key: str, step: Any) -> int:
    """A metric step given by the user, as an int."""
    # operator.index accepts numpy integers (np.arange steps), not floats or strings.
    try:
        if isinstance(step, bool):
            raise TypeError
        number = operator.index(step)
    except TypeError:
        raise MlopsUsageError(f"metric {key!r}: step must be an integer, not {step!r}.") from None
    if not -(2**63) <= number < 2**63:  # steps are stored as 64-bit integers
        raise MlopsUsageError(
            f"metric {key!r}: step {step} does not fit in 64 bits; use a step between "
            "-2**63 and 2**63 - 1."
        )
    return number


def metric_value(key: str, value: Any) -> float:
    """A metric value given by the user, as a float (booleans count as 0 and 1)."""
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise MlopsUsageError(
            f"metric {key!r} must be a number, not {type(value).__name__} {value!r}."
        ) from None
