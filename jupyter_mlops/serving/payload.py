"""Request bodies into DataFrames, predictions into JSON: MLflow's scoring protocol and V2.

MLflow (``POST /invocations``): JSON with one of ``dataframe_split``, ``dataframe_records``,
``instances`` or ``inputs``, or a CSV body. The Open Inference Protocol (V2,
``POST /v2/models/NAME/infer``): ``{"inputs": [{"name", "shape", "datatype", "data"}]}``.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.serving.signature import Matrix, PayloadError, Rows

MLFLOW_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except RecursionError:
        raise PayloadError("The JSON body nests too deeply.") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadError(f"The body is not valid JSON: {exc}.") from None


def _table(rows: list[Any], columns: Any = None) -> Rows:
    """Rows of plain values; numbers only go through one NumPy array (no DataFrame)."""
    # A bool among numbers would become 1.0 in one array: leave those to the checks.
    listed = rows and all(isinstance(r, list) for r in rows)
    if listed and not any(type(v) is bool for r in rows for v in r):
        array = np.asarray(rows) if len({len(r) for r in rows}) == 1 else None
        named = columns is None or (
            isinstance(columns, list) and all(isinstance(c, str) for c in columns)
        )
        if array is not None and array.ndim == 2 and array.dtype.kind in "iuf" and named:  # noqa: SIM102
            if columns is None or len(columns) == array.shape[1]:
                return Matrix(array, columns)
    return pd.DataFrame(rows, columns=columns)


def _records(rows: list[dict[str, Any]]) -> Rows:
    keys = list(rows[0]) if rows else []
    if rows and all(len(r) == len(keys) and r.keys() == rows[0].keys() for r in rows):
        return _table([[r[k] for k in keys] for r in rows], keys)
    return pd.DataFrame.from_records(rows)


def _rows(value: Any, key: str) -> Rows:
    """A frame from ``instances``/``inputs``: a list of rows, or a dict of columns."""
    if isinstance(value, dict):
        lengths = {len(v) if isinstance(v, list) else 1 for v in value.values()}
        if len(lengths) > 1:
            raise PayloadError(f"The columns of {key!r} have different lengths.")
        return pd.DataFrame({k: v if isinstance(v, list) else [v] for k, v in value.items()})
    if not isinstance(value, list):
        raise PayloadError(f"{key!r} must be a list of rows or an object of columns.")
    if value and all(isinstance(r, dict) for r in value):
        return _records(value)
    if value and all(isinstance(r, list) for r in value):
        widths = {len(r) for r in value}
        if len(widths) > 1:
            raise PayloadError(f"The rows of {key!r} have different lengths.")
        if any(isinstance(v, list | dict) for r in value for v in r):
            raise PayloadError(f"The rows of {key!r} must hold plain values, not lists.")
        return _table(value)
    if all(not isinstance(v, list | dict) for v in value):
        return pd.DataFrame({0: value})
    raise PayloadError(f"{key!r} must be a list of rows (all lists or all objects).")


def mlflow_frame(body: bytes, content_type: str) -> Rows:
    """The rows of an MLflow scoring request (JSON or CSV).

    Raises:
        PayloadError: a body that is not one of the protocol's forms.
    """
    if content_type.startswith("text/csv"):
        try:
            return pd.read_csv(io.BytesIO(body))
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise PayloadError(f"The CSV body cannot be read: {exc}.") from None
    data = _json(body)
    if not isinstance(data, dict):
        raise PayloadError(f"The JSON body must be an object with one of {', '.join(MLFLOW_KEYS)}.")
    given = [k for k in MLFLOW_KEYS if k in data]
    if len(given) != 1:
        raise PayloadError(
            f"The JSON body must have exactly one of {', '.join(MLFLOW_KEYS)}"
            + (f", not {', '.join(given)}." if given else ".")
        )
    key = given[0]
    value = data[key]
    if key == "dataframe_split":
        if not isinstance(value, dict) or not isinstance(value.get("data"), list):
            raise PayloadError("'dataframe_split' must be an object with 'columns' and 'data'.")
        columns = value.get("columns")
        try:
            return _table(value["data"], columns)
        except (ValueError, TypeError) as exc:
            raise PayloadError(f"'dataframe_split' does not fit its columns: {exc}.") from None
    if key == "dataframe_records":
        if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            raise PayloadError("'dataframe_records' must be a list of objects, one per row.")
        return _records(value)
    return _rows(value, key)


_V2_TYPES = {
    "BOOL": "bool",
    "INT8": "int64",
    "INT16": "int64",
    "INT32": "int64",
    "INT64": "int64",
    "UINT8": "int64",
    "UINT16": "int64",
    "UINT32": "int64",
    "UINT64": "uint64",
    "FP16": "float64",
    "FP32": "float64",
    "FP64": "float64",
    "BYTES": "object",
}


def _tensor(item: Any) -> tuple[str, np.ndarray]:
    if not isinstance(item, dict) or not {"name", "shape", "datatype", "data"} <= set(item):
        raise PayloadError("Each V2 input needs 'name', 'shape', 'datatype' and 'data'.")
    name, shape, datatype, data = item["name"], item["shape"], item["datatype"], item["data"]
    if datatype not in _V2_TYPES:
        raise PayloadError(f"Input {name!r}: unknown datatype {datatype!r}.")
    if not isinstance(shape, list) or not all(isinstance(s, int) and s >= 0 for s in shape):
        raise PayloadError(f"Input {name!r}: 'shape' must be a list of sizes.")
    if not 1 <= len(shape) <= 2:
        raise PayloadError(f"Input {name!r}: expected 1 or 2 dimensions, not {len(shape)}.")
    try:
        array = np.asarray(data, dtype=_V2_TYPES[datatype])
    except (ValueError, TypeError):
        raise PayloadError(f"Input {name!r}: 'data' does not hold {datatype} values.") from None
    if array.size != math.prod(shape):
        raise PayloadError(f"Input {name!r}: {array.size} values do not fill shape {shape}.")
    return str(name), array.reshape(shape)


def v2_frame(body: bytes) -> tuple[Rows, str | None]:
    """The rows of a V2 inference request and its ``id``.

    One input of shape ``[rows, width]`` is a matrix; several inputs of shape ``[rows]``
    (or ``[rows, 1]``) are columns named after the inputs.
    """
    data = _json(body)
    if not isinstance(data, dict) or not isinstance(data.get("inputs"), list) or not data["inputs"]:
        raise PayloadError("A V2 request is an object with a non-empty 'inputs' list.")
    tensors = [_tensor(item) for item in data["inputs"]]
    request_id = data.get("id")
    rid = str(request_id) if isinstance(request_id, str | int) else None
    if len(tensors) == 1 and tensors[0][1].ndim == 2 and tensors[0][1].shape[1] != 1:
        matrix = tensors[0][1]
        return (Matrix(matrix, None) if matrix.dtype.kind in "iuf" else pd.DataFrame(matrix)), rid
    columns = {name: array.reshape(len(array)) for name, array in tensors}
    if len({len(a) for a in columns.values()}) > 1:
        raise PayloadError("The V2 inputs have different numbers of rows.")
    return pd.DataFrame(columns), rid


def plain(predictions: Any) -> list[Any]:
    """Predictions as JSON-ready values (NumPy scalars and arrays into Python ones)."""
    if isinstance(predictions, pd.DataFrame | pd.Series):
        predictions = predictions.to_numpy()
    array = np.asarray(predictions)
    values: list[Any] = array.tolist()
    return values


def v2_datatype(predictions: Any) -> str:
    """The V2 datatype of an array of predictions."""
    kind = np.asarray(predictions).dtype.kind
    return {"b": "BOOL", "i": "INT64", "u": "UINT64", "f": "FP64"}.get(kind, "BYTES")
