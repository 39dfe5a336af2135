"""File formats: recognizing tables by extension, and DataFrames as deterministic Parquet."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from jupyter_mlops.errors import MlopsUsageError

_SUFFIX_FORMATS = {"csv": "csv", "tsv": "tsv", "parquet": "parquet", "pq": "parquet"}
_PLAIN_SUFFIX = re.compile(r"[a-z0-9]{1,16}")
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "compression_level": 3}


def detect_format(path: Path) -> str:
    """``csv``, ``tsv`` or ``parquet`` for tables, else the file's extension, else ``binary``."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix in _SUFFIX_FORMATS:
        return _SUFFIX_FORMATS[suffix]
    return suffix if _PLAIN_SUFFIX.fullmatch(suffix) else "binary"


def write_parquet(frame: pd.DataFrame, dest: Path) -> list[dict[str, str]]:
    """Write ``frame`` to ``dest`` as Parquet; the same frame always gives the same bytes.

    An unnamed ``RangeIndex`` is row numbering, not data, so it is not stored (two frames
    with equal columns but differently numbered rows are the same dataset); any other index
    is stored as columns and restored by ``to_pandas()``. The pandas metadata that lets dtypes
    such as categoricals round-trip is kept: it depends only on the frame (and on the pandas
    and pyarrow versions, which also stamp the Parquet footer).

    Returns:
        The schema ``to_pandas()`` will give: ``[{"name": ..., "type": ...}]``.

    Raises:
        MlopsUsageError: The frame has no columns, or a column Parquet cannot hold.
    """
    # start-up: pyarrow (~150 ms) loads only when a frame is written
    import pyarrow as pa
    import pyarrow.parquet as pq

    if len(frame.columns) == 0:
        raise MlopsUsageError("The DataFrame has no columns; there is nothing to version.")
    index = frame.index
    keep_index = not (isinstance(index, pd.RangeIndex) and index.name is None)
    try:
        table = pa.Table.from_pandas(frame, preserve_index=keep_index)
        pq.write_table(table, dest, **PARQUET_OPTIONS)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise MlopsUsageError(
            f"The DataFrame cannot be stored as Parquet: {_first_line(exc)}. Give each column "
            "one type (e.g. df[col].astype(str)) and unique names."
        ) from exc
    dtypes = table.schema.empty_table().to_pandas().dtypes
    return [{"name": str(name), "type": str(dtype)} for name, dtype in dtypes.items()]


def _first_line(exc: BaseException) -> str:
    text = str(exc.args[-1] if len(exc.args) > 1 else exc)
    return text.strip().splitlines()[0].rstrip(".") if text.strip() else type(exc).__name__
