"""A model's input signature: the columns and dtypes (or shape) it was fitted on."""

from __future__ import annotations

from typing import Any


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
