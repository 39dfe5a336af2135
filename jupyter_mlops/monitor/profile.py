"""Reference profiles: summarise the reference once, score later batches without it.

``mlops.monitor.profile(reference)`` keeps, per column, what the drift tests need:

* numerical: count, missing count, exact ``np.std``, exact distinct count, exact value counts
  when there are at most 64 distinct values, and the sorted finite values; above
  ``sketch_size`` (default 100,000) values only ``sketch_size`` evenly spaced quantiles of them
  are kept. **Approximation:** with a sketch, CDF-based tests (KS, energy distance,
  Sturges-bin histograms) read the reference ECDF off the sketch, which is within
  ``1/sketch_size`` of the true ECDF everywhere (KS D within 1e-5 at the default; the KS p-value
  uses the true row count); Wasserstein pairs each current order statistic with the sketch's
  quantile at the same level (1M rows against the default sketch: within 1e-5 of the exact
  normalised distance in the benchmark). Anderson-Darling and Cramér-von Mises run on the
  sketch as if it were the sample, so their p-values are those of a 100k-row reference.
  With ``sketch_size=None`` (or a reference no larger than the sketch) results are exact.
* categorical: exact counts per category.

A profile is JSON (arrays as base64 float64), round-trips through ``to_bytes``/``from_bytes``
and ``save``/``load``, logs as the run artifact ``monitor/profile.json`` (``profile.log(run)``),
and can be versioned with its data set (``mlops.data.add(path_of_saved_profile)``).
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.monitor._summary import (
    INT_CATEGORICAL_MAX,
    CatSummary,
    ColumnKind,
    NumSummary,
    Summary,
    _label,
    summarize_cat,
    summarize_num,
)

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mlops.artifacts import ObjectInfo
    from jupyter_mlops.tracking.run import Run

FORMAT = "jupyter-mlops/reference-profile"
DEFAULT_SKETCH = 100_000
_KIND_NAMES: dict[str, ColumnKind] = {
    "num": "num",
    "numerical": "num",
    "numeric": "num",
    "cat": "cat",
    "categorical": "cat",
}


def check_kind(column: str, kind: object) -> ColumnKind:
    """Normalise a user's column type (``num``/``numerical``/``cat``/``categorical``)."""
    try:
        return _KIND_NAMES[str(kind).lower()]
    except KeyError:
        raise MlopsUsageError(
            f"Column type {kind!r} for {column!r} is not one of: numerical, categorical."
        ) from None


def dtype_family(series: pd.Series[Any]) -> str:
    """``bool``, ``int``, ``float``, ``datetime`` or ``other`` (strings, objects, categories)."""
    # start-up: pandas costs ~300 ms; `import jupyter_mlops.monitor` does without it.
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return "datetime"
    return "other"


def cat_from_num(summary: NumSummary) -> CatSummary:
    """Turn a few-valued numerical summary into categories (labels as integers print)."""
    counts = summary.value_counts()
    merged: dict[str, int] = {}
    for value, count in counts.items():
        label = _label(value)
        merged[label] = merged.get(label, 0) + round(count)
    labels = sorted(merged)
    return CatSummary(labels, np.array([merged[k] for k in labels], np.int64), summary.n_missing)


def summarize_reference(
    series: pd.Series[Any], kind: ColumnKind | None, *, sketch: int | None
) -> tuple[Summary | None, str | None]:
    """Summarise one reference column; returns ``(summary, None)`` or ``(None, reason)``.

    Type rules: bool and non-numeric dtypes are categorical, floats numerical, integers
    categorical with at most 10 distinct reference values (else numerical); ``kind`` overrides.
    """
    family = dtype_family(series)
    if family == "datetime":
        return None, f"{series.dtype} columns are not tested; convert them to numbers first"
    if kind == "cat" or (kind is None and family in ("bool", "other")):
        return summarize_cat(series), None
    if family in ("bool", "other"):
        return None, f"declared numerical but its dtype is {series.dtype}"
    summary = summarize_num(series, sketch=sketch, is_int=family == "int")
    if kind is None and family == "int" and summary.distinct <= INT_CATEGORICAL_MAX:
        return cat_from_num(summary), None
    return summary, None


def summarize_current(series: pd.Series[Any], ref: Summary) -> tuple[Summary | None, str | None]:
    """Summarise a current column the way its reference was summarised."""
    if isinstance(ref, CatSummary):
        return summarize_cat(series), None
    family = dtype_family(series)
    if family not in ("int", "float"):
        return None, f"mismatched dtypes: numerical in the reference, {series.dtype} in current"
    return summarize_num(series, is_int=family == "int"), None


def _encode(summary: Summary) -> dict[str, Any]:
    if isinstance(summary, CatSummary):
        return {
            "kind": "cat",
            "labels": summary.labels,
            "counts": summary.counts.tolist(),
            "n_missing": summary.n_missing,
        }
    values = np.ascontiguousarray(summary.values, dtype="<f8")
    return {
        "kind": "num",
        "values": base64.b64encode(values.tobytes()).decode("ascii"),
        "n": summary.n,
        "n_missing": summary.n_missing,
        "std": summary.std,
        "distinct": summary.distinct,
        "counts": None if summary.counts is None else [[k, v] for k, v in summary.counts.items()],
        "exact": summary.exact,
        "is_int": summary.is_int,
    }


def _decode(data: dict[str, Any]) -> Summary:
    if data["kind"] == "cat":
        cat_counts = np.array(data["counts"], dtype=np.int64)
        return CatSummary(list(data["labels"]), cat_counts, int(data["n_missing"]))
    values = np.frombuffer(base64.b64decode(data["values"]), dtype="<f8").astype(np.float64)
    counts = data.get("counts")
    return NumSummary(
        values,
        int(data["n"]),
        int(data["n_missing"]),
        float(data["std"]),
        int(data["distinct"]),
        None if counts is None else {float(k): int(v) for k, v in counts},
        bool(data["exact"]),
        bool(data["is_int"]),
    )


@dataclass
class ReferenceProfile:
    """What drift tests need from a reference data set, without the data set.

    Attributes:
        columns: Column name → summary, in the reference's column order.
        skipped: Column name → why it is not summarised (e.g. datetime columns).
        n_rows: Rows in the reference.
        sketch_size: The largest number of values kept per numerical column.
    """

    columns: dict[str, Summary]
    skipped: dict[str, str] = field(default_factory=dict)
    n_rows: int = 0
    sketch_size: int | None = DEFAULT_SKETCH

    @property
    def names(self) -> list[str]:
        """Every reference column, summarised or skipped."""
        return [*self.columns, *self.skipped]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "format": FORMAT,
            "version": 1,
            "n_rows": self.n_rows,
            "sketch_size": self.sketch_size,
            "columns": {name: _encode(s) for name, s in self.columns.items()},
            "skipped": self.skipped,
        }

    def to_bytes(self) -> bytes:
        """The profile as UTF-8 JSON."""
        return json.dumps(self.to_dict(), separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> ReferenceProfile:
        """Read a profile written by :meth:`to_bytes`.

        Raises:
            MlopsUsageError: the bytes are not a reference profile.
        """
        try:
            doc = json.loads(data)
            if doc.get("format") != FORMAT:
                raise ValueError("wrong format")
            columns = {name: _decode(col) for name, col in doc["columns"].items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise MlopsUsageError(f"Not a jupyter_mlops reference profile ({exc}).") from None
        return cls(columns, dict(doc.get("skipped") or {}), int(doc["n_rows"]), doc["sketch_size"])

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the profile to ``path`` (JSON); returns the path."""
        dest = Path(path)
        dest.write_bytes(self.to_bytes())
        return dest

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ReferenceProfile:
        """Read a profile saved with :meth:`save`."""
        return cls.from_bytes(Path(path).read_bytes())

    def log(self, run: Run, name: str = "monitor/profile.json") -> list[ObjectInfo]:
        """Store the profile as an artifact of ``run``."""
        return run.log_artifact(
            self.to_bytes(), name, kind="profile", media_type="application/json"
        )

    def __repr__(self) -> str:
        return (
            f"<ReferenceProfile {self.n_rows} rows, {len(self.columns)} columns"
            f"{f', {len(self.skipped)} skipped' if self.skipped else ''}>"
        )


def profile(
    reference: pd.DataFrame,
    *,
    columns: list[str] | None = None,
    column_types: dict[str, str] | None = None,
    sketch_size: int | None = DEFAULT_SKETCH,
) -> ReferenceProfile:
    """Summarise a reference DataFrame for later drift checks (``drift(profile, current)``).

    Args:
        reference: The reference data.
        columns: The columns to keep (default: all).
        column_types: Column → ``"numerical"`` or ``"categorical"``, overriding inference.
        sketch_size: Keep at most this many sorted values per numerical column (``None``: all).

    Returns:
        The profile.

    Raises:
        MlopsUsageError: not a DataFrame, no rows, unknown columns or column types.
    """
    check_frame(reference, "reference")
    if sketch_size is not None and sketch_size < 100:
        raise MlopsUsageError(f"sketch_size must be at least 100, not {sketch_size}.")
    names = pick_columns(reference, columns)
    kinds = check_kinds(column_types, names)
    summaries: dict[str, Summary] = {}
    skipped: dict[str, str] = {}
    for name in names:
        summary, reason = summarize_reference(reference[name], kinds.get(name), sketch=sketch_size)
        if summary is None:
            skipped[name] = reason or "not summarised"
        else:
            summaries[name] = summary
    return ReferenceProfile(summaries, skipped, len(reference), sketch_size)


def check_frame(frame: object, role: str) -> None:
    """Raise a usage error unless ``frame`` is a non-empty DataFrame."""
    # start-up: pandas costs ~300 ms; `import jupyter_mlops.monitor` does without it.
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise MlopsUsageError(
            f"The {role} data must be a pandas DataFrame, not {type(frame).__name__}."
        )
    if len(frame) == 0 or len(frame.columns) == 0:
        raise MlopsUsageError(f"The {role} DataFrame is empty; give at least one row and column.")
    if not frame.columns.is_unique:
        dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise MlopsUsageError(f"The {role} DataFrame has duplicate columns: {', '.join(dupes)}.")


def pick_columns(frame: pd.DataFrame, columns: list[str] | None) -> list[str]:
    """The requested columns, checked against the frame."""
    if columns is None:
        return list(frame.columns)
    if isinstance(columns, str):
        columns = [columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MlopsUsageError(f"Columns not in the reference data: {', '.join(map(str, missing))}.")
    return list(columns)


def check_kinds(column_types: dict[str, str] | None, names: list[str]) -> dict[str, ColumnKind]:
    """Validate ``column_types`` against the columns."""
    if not column_types:
        return {}
    unknown = [c for c in column_types if c not in names]
    if unknown:
        raise MlopsUsageError(
            f"column_types names columns that are not checked: {', '.join(map(str, unknown))}."
        )
    return {c: check_kind(c, k) for c, k in column_types.items()}
