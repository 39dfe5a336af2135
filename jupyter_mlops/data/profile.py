"""Schema, row count and a per-column profile of tabular data, computed in one pass.

The profile of a column is its pandas dtype, its share of missing values and either
numeric statistics (min, max, mean, sample std) or, for text, categories and booleans,
the number of distinct values and the most frequent ones; datetimes get min and max.

Statistics are accumulated chunk by chunk (means and variances merged with Chan's
formula), so a CSV too large to load is profiled in bounded memory and a Parquet file is
profiled batch by batch; a single in-memory frame is simply one chunk. A column whose type
differs between chunks is typed the way ``pandas.read_csv`` would type it (int and float
give float64, anything else gives object).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TOP = 5
#: distinct values counted per column before the rarest are dropped (counts become approximate)
MAX_DISTINCT = 100_000
CSV_CHUNK_BYTES = 256 * 1024 * 1024
CSV_CHUNK_ROWS = 500_000
PARQUET_BATCH_ROWS = 65_536


@dataclass(frozen=True)
class TableInfo:
    """What a tabular version records: schema, row count and column profile."""

    schema: list[dict[str, str]]
    row_count: int
    profile: dict[str, dict[str, Any]]


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar: numpy scalars unwrapped, NaN as None, other objects as text."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _kind(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "category"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "category"


@dataclass
class _Column:
    types: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    empty_type: str | None = None  # the type of chunks holding only missing values
    empty_kind: str = "category"
    missing: int = 0
    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    low: Any = None
    high: Any = None
    counts: Counter[Any] = field(default_factory=Counter)
    approximate: bool = False

    def update(self, series: pd.Series) -> None:
        nulls = int(series.isna().sum())
        self.missing += nulls
        kind = _kind(series)
        if nulls == len(series):
            # An all-missing chunk says little about the type: a later chunk decides.
            if self.empty_type is None:
                self.empty_type, self.empty_kind = str(series.dtype), kind
            return
        dtype = str(series.dtype)
        if dtype not in self.types:
            self.types.append(dtype)
        self.kinds.add(kind)
        values = series.dropna()
        if values.empty:
            return
        if kind == "number":
            self._numbers(values)
        elif kind == "datetime":
            self._extremes(values.min(), values.max())
        else:
            self._categories(values)

    def _extremes(self, low: Any, high: Any) -> None:
        self.low = low if self.low is None else min(self.low, low)
        self.high = high if self.high is None else max(self.high, high)

    def _numbers(self, values: pd.Series) -> None:
        array = values.to_numpy(dtype="float64")
        k = len(array)
        mean = float(array.mean())
        m2 = float(((array - mean) ** 2).sum())
        total = self.n + k
        delta = mean - self.mean
        self.mean += delta * k / total
        self.m2 += m2 + delta * delta * self.n * k / total
        self.n = total
        self._extremes(_plain(values.min()), _plain(values.max()))

    def _categories(self, values: pd.Series) -> None:
        counts = values.value_counts(sort=False)
        self.counts.update({_plain(v): int(c) for v, c in counts.items() if c > 0})
        if len(self.counts) > MAX_DISTINCT:
            self.counts = Counter(dict(self.counts.most_common(MAX_DISTINCT // 10)))
            self.approximate = True

    def dtype(self) -> str:
        if len(self.types) <= 1:
            return self.types[0] if self.types else self.empty_type or "object"
        if self.kinds == {"number"}:
            return "float64"
        return "object"

    def result(self, rows: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.dtype(),
            "missing": self.missing / rows if rows else 0.0,
        }
        if len(self.kinds) > 1:
            out["mixed"] = True  # different kinds of values in different chunks
            return out
        kind = next(iter(self.kinds), self.empty_kind)
        if kind == "number":
            as_float = out["type"].startswith("float")
            out["min"] = float(self.low) if as_float and self.low is not None else self.low
            out["max"] = float(self.high) if as_float and self.high is not None else self.high
            out["mean"] = self.mean if self.n else None
            out["std"] = math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else None
        elif kind == "datetime":
            out["min"] = _plain(self.low)
            out["max"] = _plain(self.high)
        else:
            out["distinct"] = len(self.counts)
            out["top"] = [[value, count] for value, count in self.counts.most_common(TOP)]
            if self.approximate:
                out["approximate"] = True
        return out


class Profiler:
    """Accumulate schema, row count and column profile over one or more frames."""

    def __init__(self) -> None:
        self.rows = 0
        self.columns: dict[str, _Column] = {}

    def update(self, frame: pd.DataFrame) -> Profiler:
        self.rows += len(frame)
        for name, series in frame.items():
            self.columns.setdefault(str(name), _Column()).update(series)
        return self

    def schema(self) -> list[dict[str, str]]:
        return [{"name": name, "type": col.dtype()} for name, col in self.columns.items()]

    def result(self) -> TableInfo:
        profile = {name: col.result(self.rows) for name, col in self.columns.items()}
        return TableInfo(self.schema(), self.rows, profile)


def profile_frames(frames: Iterable[pd.DataFrame]) -> TableInfo:
    """Profile a sequence of chunks of one table."""
    profiler = Profiler()
    for frame in frames:
        profiler.update(frame)
    return profiler.result()


def profile_frame(frame: pd.DataFrame) -> TableInfo:
    """Profile one in-memory frame (nothing is copied)."""
    return Profiler().update(frame).result()


def profile_csv(
    path: Path,
    *,
    sep: str = ",",
    chunk_bytes: int = CSV_CHUNK_BYTES,
    chunk_rows: int = CSV_CHUNK_ROWS,
) -> TableInfo:
    """Profile a CSV file: read once, whole, or in chunks of rows when larger than
    ``chunk_bytes``."""
    if path.stat().st_size <= chunk_bytes:
        return profile_frame(pd.read_csv(path, sep=sep))
    with pd.read_csv(path, sep=sep, chunksize=chunk_rows) as reader:
        return profile_frames(reader)


def profile_parquet(path: Path, *, batch_rows: int = PARQUET_BATCH_ROWS) -> TableInfo:
    """Profile a Parquet file: row count and schema from its metadata, the profile batch by
    batch."""
    import pyarrow.parquet as pq  # start-up: pyarrow (~150 ms) only for Parquet files

    with pq.ParquetFile(path) as pf:
        dtypes = pf.schema_arrow.empty_table().to_pandas().dtypes
        schema = [{"name": str(name), "type": str(dtype)} for name, dtype in dtypes.items()]
        rows = int(pf.metadata.num_rows)
        profiler = Profiler()
        for batch in pf.iter_batches(batch_size=batch_rows):
            profiler.update(batch.to_pandas())
        for column in schema:  # columns of a file with no rows still belong to the schema
            profiler.columns.setdefault(column["name"], _Column(empty_type=column["type"]))
    profile = {name: col.result(rows) for name, col in profiler.columns.items()}
    return TableInfo(schema, rows, profile)


def finite(value: Any) -> bool:
    """Whether ``value`` is a finite number (for comparisons in diffs)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)
