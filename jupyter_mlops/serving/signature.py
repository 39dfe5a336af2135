"""Checking a request's rows against the signature a model version recorded.

A missing column, a value of the wrong kind or a frame of the wrong width is refused with
one line naming the column; a value is converted only where that cannot change its meaning
(a whole number into a float column, ``3.0`` into an integer column).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.errors import MlopsUsageError


class PayloadError(MlopsUsageError):
    """A request the server refuses (HTTP 400): bad JSON, a missing column, a wrong type."""


@dataclass(frozen=True)
class Matrix:
    """Rows of numbers parsed straight into one 2-D array (no DataFrame built per request).

    ``columns`` are the names the request gave, or None for rows given as plain lists (the
    signature's order names them).
    """

    values: np.ndarray
    columns: list[str] | None

    def __len__(self) -> int:
        return len(self.values)

    def frame(self) -> pd.DataFrame:
        """The same rows as a DataFrame (for checks column by column, and other models)."""
        labels = None if self.columns is None else pd.Index(self.columns, dtype=object)
        return pd.DataFrame(self.values, columns=labels)


Rows = pd.DataFrame | Matrix


def _kind(dtype: str) -> str:
    """``int``, ``float``, ``bool``, ``text`` or ``any``: what values a dtype's column holds."""
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        return "text" if dtype in ("string", "str") else "any"
    return {"i": "int", "u": "int", "f": "float", "b": "bool", "U": "text", "S": "text"}.get(
        kind, "any"
    )


_WORDS = {
    "int": "whole numbers",
    "float": "numbers",
    "bool": "true or false",
    "text": "text",
}


def _column(values: pd.Series, name: str, dtype: str) -> pd.Series:
    want = _kind(dtype)
    if want == "any":
        return values
    have = values.dtype.kind
    ok = {
        "float": have in "iuf",
        "int": have in "iu",
        "bool": have == "b",
        "text": have in "OUS" and values.map(lambda v: isinstance(v, str) or v is None).all(),
    }[want]
    if want == "int" and have == "f":
        finite = values.notna().all() and np.isfinite(values.to_numpy()).all()
        if finite and (values.to_numpy() == np.round(values.to_numpy())).all():
            return values.astype(np.dtype(dtype))
        raise PayloadError(
            f"Column {name!r} expects whole numbers ({dtype}); it has missing or fractional values."
        )
    if not ok:
        sample = next((v for v in values if not _fits(v, want)), values.iloc[0])
        raise PayloadError(f"Column {name!r} expects {_WORDS[want]} ({dtype}), not {sample!r}.")
    if want == "float" and have in "iu":
        return values.astype(np.dtype(dtype))
    return values


def _fits(value: Any, want: str) -> bool:
    if want == "text":
        return isinstance(value, str)
    if want == "bool":
        return isinstance(value, bool | np.bool_)
    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, int | float | np.integer | np.floating)


def conform(frame: pd.DataFrame, signature: dict[str, Any] | None) -> pd.DataFrame:
    """``frame`` with the signature's columns, in its order and dtypes; extra columns dropped.

    Raises:
        PayloadError: no rows, a missing column, a value of the wrong kind, a wrong width.
    """
    if len(frame) == 0:
        raise PayloadError("The request has no rows to predict.")
    if not signature:
        return frame
    if signature.get("type") == "dataframe":
        columns = signature.get("columns") or []
        if len(frame.columns) and all(isinstance(c, int) for c in frame.columns):
            # Rows given as lists (instances, a V2 matrix): the signature's order names them.
            if frame.shape[1] != len(columns):
                raise PayloadError(
                    f"Each row needs {len(columns)} values "
                    f"({', '.join(c['name'] for c in columns)}), not {frame.shape[1]}."
                )
            frame = frame.set_axis([c["name"] for c in columns], axis=1)
        if _exact(frame, columns):
            return frame  # the common case: nothing to check column by column
        missing = [c["name"] for c in columns if c["name"] not in frame.columns]
        if missing:
            names = ", ".join(repr(m) for m in missing)
            expected = ", ".join(c["name"] for c in columns)
            raise PayloadError(f"Missing column {names}: the model expects {expected}.")
        return pd.DataFrame(
            {c["name"]: _column(frame[c["name"]], c["name"], c["dtype"]) for c in columns}
        )
    if signature.get("type") == "array":
        shape = signature.get("shape") or []
        width = int(shape[1]) if len(shape) == 2 and shape[1] is not None else frame.shape[1]
        if frame.shape[1] != width:
            raise PayloadError(
                f"Each row needs {width} values (the model's input width), not {frame.shape[1]}."
            )
        dtype = str(signature.get("dtype") or "float64")
        # Integer column labels: the model was fitted on an array, without feature names.
        values = frame.set_axis(range(width), axis=1)
        return pd.DataFrame(
            {i: _column(values[i], str(i), dtype) for i in range(width)}, columns=range(width)
        )
    return frame


def conform_rows(rows: Rows, signature: dict[str, Any] | None) -> Rows:
    """:func:`conform` for a request's rows: a :class:`Matrix` that already fits a signature
    of numeric columns stays an array (named by the signature); anything else is checked
    column by column as a DataFrame, with the same messages.
    """
    if isinstance(rows, Matrix):
        fitted = _fitting_matrix(rows, signature)
        if fitted is not None:
            return fitted
        rows = rows.frame()
    return conform(rows, signature)


def _fitting_matrix(rows: Matrix, signature: dict[str, Any] | None) -> Matrix | None:
    """``rows`` named and typed as the signature says, when that needs no check per column."""
    if not len(rows) or not signature or signature.get("type") != "dataframe":
        return None
    columns = signature.get("columns") or []
    names = [c["name"] for c in columns]
    if rows.columns is None and rows.values.shape[1] != len(names):
        return None
    if rows.columns is not None and rows.columns != names:
        return None
    dtypes = {c["dtype"] for c in columns}
    if len(dtypes) != 1:
        return None
    (dtype,) = dtypes
    want = _kind(dtype)
    have = rows.values.dtype.kind
    if (want == "float" and have in "iuf") or (want == "int" and have in "iu"):
        values = rows.values.astype(np.dtype(dtype), copy=False)  # whole numbers only
        return Matrix(values, names)
    return None


def _exact(frame: pd.DataFrame, columns: list[dict[str, str]]) -> bool:
    """Whether ``frame`` has exactly the signature's columns, in order, of its dtypes."""
    if [str(c) for c in frame.columns] != [c["name"] for c in columns]:
        return False
    try:
        return all(
            have == np.dtype(c["dtype"])
            for have, c in zip(frame.dtypes, columns, strict=True)
            if _kind(c["dtype"]) != "any"
        )
    except TypeError:
        return False


def example_row(signature: dict[str, Any] | None) -> pd.DataFrame | None:
    """One row that fits ``signature`` (zeros, empty text), for a smoke prediction."""

    def zero(dtype: str) -> Any:
        return {"int": 0, "float": 0.0, "bool": False, "text": ""}.get(_kind(dtype), 0.0)

    if not signature:
        return None
    if signature.get("type") == "dataframe":
        columns = signature.get("columns") or []
        return pd.DataFrame({c["name"]: [zero(c["dtype"])] for c in columns}).astype(
            {c["name"]: c["dtype"] for c in columns if _kind(c["dtype"]) != "any"}
        )
    if signature.get("type") == "array":
        shape = signature.get("shape") or []
        if len(shape) != 2 or shape[1] is None:
            return None
        dtype = str(signature.get("dtype") or "float64")
        return pd.DataFrame([[zero(dtype)] * int(shape[1])], columns=range(int(shape[1])))
    return None


def input_columns(signature: dict[str, Any] | None) -> list[dict[str, str]]:
    """The signature's inputs as ``{"name", "dtype"}`` (array inputs named by position)."""
    if not signature:
        return []
    if signature.get("type") == "dataframe":
        return [{"name": c["name"], "dtype": c["dtype"]} for c in signature.get("columns") or []]
    shape = signature.get("shape") or []
    if signature.get("type") == "array" and len(shape) == 2 and shape[1] is not None:
        dtype = str(signature.get("dtype") or "float64")
        return [{"name": str(i), "dtype": dtype} for i in range(int(shape[1]))]
    return []
