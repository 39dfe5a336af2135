"""Short, stable text for captured param values (never a repr warning)."""

from __future__ import annotations

import json
import math
from typing import Any

MAX_TEXT = 1000  # longer texts are cut, with an ellipsis
MAX_ITEMS = 100  # arrays longer than this are summarised by shape and dtype


def plain(value: Any, depth: int = 0) -> Any:
    """Turn a param value into JSON-ready data.

    Estimators become their class name, functions their qualified name, classes (numpy's
    ``dtype=np.float64``) their import path, numpy scalars and small arrays Python numbers and
    lists; anything else its (shortened) repr.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, type):
        # A class (numpy's ``dtype=np.float64`` default): its import path, stable across runs.
        # Estimator classes by name, as estimator instances are.
        module = getattr(value, "__module__", "") or ""
        name = value.__qualname__
        if module in ("builtins", "") or hasattr(value, "get_params"):
            return name
        return f"{module}.{name}"
    if depth > 4:
        return _safe_repr(value)
    item = getattr(value, "item", None)
    shape = getattr(value, "shape", None)
    if callable(item) and shape == ():
        return plain(item(), depth + 1)
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [plain(v, depth + 1) for v in items]
    if shape is not None and hasattr(value, "tolist") and hasattr(value, "dtype"):
        size = getattr(value, "size", MAX_ITEMS + 1)
        if size <= MAX_ITEMS:
            return plain(value.tolist(), depth + 1)
        return f"array(shape={tuple(shape)}, dtype={value.dtype})"
    if hasattr(value, "get_params"):
        return type(value).__name__
    qualname = getattr(value, "__qualname__", None)
    if callable(value) and isinstance(qualname, str):
        return qualname
    return _safe_repr(value)


def param_text(value: Any) -> str:
    """The stored text of a param value: scalars as text, containers as JSON.

    Never raises: a value that cannot be described otherwise is ``<its class name>``.
    """
    try:
        data = plain(value)
    except Exception:  # noqa: BLE001 - one odd param must not cost the fit's capture
        return f"<{type(value).__qualname__}>"
    if isinstance(data, str):
        return _short(data)
    if data is None or isinstance(data, bool | int | float):
        return str(data)
    return _short(json.dumps(data, sort_keys=isinstance(data, dict), default=str))


def _safe_repr(value: Any) -> str:
    try:
        return _short(repr(value))
    except Exception:  # noqa: BLE001 - a broken __repr__ still gets a stable text
        return f"<{type(value).__qualname__}>"


def _short(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
