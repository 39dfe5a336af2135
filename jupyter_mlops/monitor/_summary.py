"""Column summaries: what a drift test needs to know about one column of one data set.

A reference column is summarised once (sorted finite values or a quantile sketch of them for
numerical columns, category counts for categorical ones); the current batch is summarised the
same way, exactly. Tests only ever see summaries, so ``drift(profile, current)`` and
``drift(reference, current)`` run the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

ColumnKind = Literal["num", "cat"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Numerical columns keep exact value counts up to this many distinct values.
EXACT_COUNTS = 64
#: An integer column with at most this many distinct reference values is categorical.
INT_CATEGORICAL_MAX = 10


@dataclass
class NumSummary:
    """A numerical column: sorted finite values (all of them, or an evenly spaced sketch)."""

    values: FloatArray
    n: int
    n_missing: int
    std: float
    distinct: int
    counts: dict[float, int] | None = None
    exact: bool = True
    is_int: bool = False

    kind: ColumnKind = field(default="num", init=False)

    @property
    def n_total(self) -> int:
        return self.n + self.n_missing

    def value_counts(self) -> dict[float, float]:
        """Counts per distinct value (exact when known, else estimated from the sketch)."""
        if self.counts is not None:
            return {k: float(v) for k, v in self.counts.items()}
        uniq, cnt = np.unique(self.values, return_counts=True)
        scale = self.n / max(len(self.values), 1)
        return {float(k): float(c) * scale for k, c in zip(uniq, cnt, strict=True)}

    def ecdf(self, points: FloatArray) -> FloatArray:
        """The empirical CDF at ``points`` (``P(X <= x)``)."""
        if len(self.values) == 0:
            return np.zeros(len(points))
        return np.searchsorted(self.values, points, side="right") / len(self.values)

    def histogram(self, edges: FloatArray) -> FloatArray:
        """Counts in ``np.histogram`` bins (last bin closed), scaled to ``n`` for sketches."""
        idx = np.searchsorted(self.values, edges, side="left")
        idx[-1] = np.searchsorted(self.values, edges[-1], side="right")
        counts = np.diff(idx).astype(np.float64)
        if not self.exact and len(self.values):
            counts *= self.n / len(self.values)
        return counts


@dataclass
class CatSummary:
    """A categorical column: counts per category (category labels as strings)."""

    labels: list[str]
    counts: IntArray
    n_missing: int

    kind: ColumnKind = field(default="cat", init=False)

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @property
    def n_total(self) -> int:
        return self.n + self.n_missing

    @property
    def distinct(self) -> int:
        return len(self.labels)

    def as_dict(self) -> dict[str, int]:
        return dict(zip(self.labels, self.counts.tolist(), strict=True))


Summary = NumSummary | CatSummary


def _label(value: Any) -> str:
    """The string key of a category: integral floats print as ints so 1 and 1.0 agree."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def summarize_cat(series: Any) -> CatSummary:
    """Count the categories of a pandas Series (hash-based; NaN/None are missing)."""
    counts = series.value_counts(dropna=True, sort=False)
    merged: dict[str, int] = {}
    for key, value in zip(counts.index.tolist(), counts.to_numpy().tolist(), strict=True):
        if isinstance(key, float) and not np.isfinite(key):
            continue
        label = _label(key)
        merged[label] = merged.get(label, 0) + int(value)
    merged = {k: v for k, v in merged.items() if v > 0}
    labels = sorted(merged)
    arr = np.array([merged[k] for k in labels], dtype=np.int64)
    return CatSummary(labels, arr, int(len(series) - arr.sum()))


def finite_values(series: Any) -> FloatArray:
    """The column as float64 without copying when possible (missing values become NaN)."""
    arr = series.to_numpy(dtype=np.float64, na_value=np.nan, copy=False)
    return np.asarray(arr, dtype=np.float64)


def summarize_num(series: Any, *, sketch: int | None = None, is_int: bool = False) -> NumSummary:
    """Sort the finite values of a numerical Series (NaN and ±inf count as missing).

    Args:
        series: The column.
        sketch: Keep at most this many evenly spaced quantiles instead of every value.
        is_int: Whether the column holds integers (recorded for the type rules).
    """
    arr = finite_values(series)
    mask = np.isfinite(arr)
    n_total = len(arr)
    values = np.sort(arr) if mask.all() else np.sort(arr[mask])
    del mask
    return from_sorted(values, n_total - len(values), sketch=sketch, is_int=is_int)


def from_sorted(
    values: FloatArray, n_missing: int, *, sketch: int | None = None, is_int: bool = False
) -> NumSummary:
    """Build a summary from already sorted finite values."""
    n = len(values)
    if n:
        change = values[1:] != values[:-1]
        distinct = int(np.count_nonzero(change)) + 1
        # Two-pass mean/std on the sorted copy matches np.std of the raw column to rounding.
        std = float(np.std(values))
    else:
        change = np.empty(0, dtype=np.bool_)
        distinct, std = 0, 0.0
    counts: dict[float, int] | None = None
    if 0 < distinct <= EXACT_COUNTS:
        changes = np.flatnonzero(change)
        starts = np.concatenate(([0], changes + 1))
        ends = np.concatenate((changes + 1, [n]))
        counts = {float(values[s]): int(e - s) for s, e in zip(starts, ends, strict=True)}
    exact = True
    if sketch is not None and n > sketch:
        # Midpoint quantiles: the sketch's ECDF is within 1/sketch of the true one everywhere.
        pos = ((np.arange(sketch) + 0.5) * (n / sketch)).astype(np.int64)
        values = values[pos]
        exact = False
    return NumSummary(values, n, n_missing, std, distinct, counts, exact, is_int)
