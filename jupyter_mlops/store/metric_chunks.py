"""Metric histories as chunks: the points one write logged for one metric of one run, kept
in one ``metric_chunks`` row as three little-endian arrays (steps, values, timestamps).

A row per point cost SQLite two B-tree inserts and a foreign-key lookup per point (most of
an MLflow ``log-batch`` of 1,000 points) and 114 bytes of disk. A chunk costs that once per
metric of the write, a point 24 bytes of arrays (45 bytes of disk in 100-point writes), and a
curve reads back as arrays.

The history of (run, key) is its chunks in the order written (``id``), each in its own
order: the order points were logged. Readers sort by step, then time, stably, so points that
share both keep the order they were logged in (MLflow's history order).

A run that logs a point per write (MLflow's ``log-metric`` per step, a slow training loop
flushed about once a second) leaves a chunk per point; :func:`compact` merges them when the
run ends, so its histories read as a few rows.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, select

from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import insert_many

__all__ = [
    "CHUNK_COLUMNS",
    "MAX_CHUNK",
    "Curve",
    "chunk_rows",
    "compact",
    "insert_point_rows",
    "insert_points",
    "read_curves",
    "sorted_curve",
]

#: The most points one row holds (a migrated or imported history is cut into rows of this).
MAX_CHUNK = 10_000
#: A chunk row's columns, in the order :func:`chunk_rows` builds them.
CHUNK_COLUMNS = [
    "run_id",
    "key",
    "points",
    "first_step",
    "last_step",
    "step_data",
    "value_data",
    "time_data",
]
_SWAP = sys.byteorder != "little"


def _pack(code: str, items: Sequence[Any]) -> bytes:
    data = array(code, items)
    if _SWAP:
        data.byteswap()
    return data.tobytes()


def _unpack(code: str, blob: bytes) -> list[Any]:
    data = array(code)
    data.frombytes(blob)
    if _SWAP:
        data.byteswap()
    return data.tolist()


@dataclass(slots=True)
class Curve:
    """One metric's points as columns (a NaN value is ``nan``)."""

    steps: list[int]
    values: list[float]
    timestamps: list[float]


def chunk_rows(
    run_id: str, points: Iterable[tuple[str, int, float, float]]
) -> list[tuple[Any, ...]]:
    """The rows holding ``points`` ``(key, step, value, timestamp)`` of run ``run_id``: one
    per metric (a new row every :data:`MAX_CHUNK` points), points in the order given.

    Raises:
        OverflowError: a step outside 64-bit integers.
    """
    by_key: dict[str, tuple[list[int], list[float], list[float]]] = {}
    for key, step, value, ts in points:
        cols = by_key.get(key)
        if cols is None:
            cols = by_key[key] = ([], [], [])
        cols[0].append(step)
        cols[1].append(value)
        cols[2].append(ts)
    rows = []
    for key, (steps, values, stamps) in by_key.items():
        for start in range(0, len(steps), MAX_CHUNK):
            cut = slice(start, start + MAX_CHUNK)
            part = steps[cut]
            packed = _pack("q", part), _pack("d", values[cut]), _pack("d", stamps[cut])
            rows.append(_row(run_id, key, part, *packed))
    return rows


def _row(
    run_id: str, key: str, steps: list[int], step_data: bytes, value_data: bytes, time_data: bytes
) -> tuple[Any, ...]:
    """A chunk row (:data:`CHUNK_COLUMNS`) of ``steps`` and their packed arrays."""
    return (run_id, key, len(steps), min(steps), max(steps), step_data, value_data, time_data)


def insert_points(
    conn: Connection, runs: Iterable[tuple[str, Iterable[tuple[str, int, float, float]]]]
) -> None:
    """Append the points ``(key, step, value, timestamp)`` of each ``(run_id, points)``."""
    rows = [row for run_id, points in runs for row in chunk_rows(run_id, points)]
    insert_many(conn, t.metric_chunks, CHUNK_COLUMNS, rows)


def insert_point_rows(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Append points given as mappings with ``run_id``, ``key``, ``step``, ``value`` and
    ``timestamp`` (a row per point, as a script filling a store builds them)."""
    by_run: dict[str, list[tuple[str, int, float, float]]] = {}
    for row in rows:
        value = math.nan if row["value"] is None else float(row["value"])
        point = (str(row["key"]), int(row["step"]), value, float(row["timestamp"]))
        by_run.setdefault(str(row["run_id"]), []).append(point)
    insert_points(conn, by_run.items())


def sorted_curve(curve: Curve) -> Curve:
    """``curve`` by step, then time; points equal in both keep their logged order."""
    steps, stamps = curve.steps, curve.timestamps
    if all(steps[i] < steps[i + 1] for i in range(len(steps) - 1)):
        return curve  # the usual history: one point per step, logged in step order
    order = sorted(range(len(steps)), key=lambda i: (steps[i], stamps[i]))
    return Curve(
        [steps[i] for i in order], [curve.values[i] for i in order], [stamps[i] for i in order]
    )


def read_curves(
    conn: Connection, run_ids: Sequence[str], key: str | None = None
) -> dict[tuple[str, str], Curve]:
    """(run id, key) -> every point of that metric in the order logged, for ``run_ids`` (all
    their metrics, or only ``key``)."""
    c = t.metric_chunks.c
    stmt = select(c.run_id, c.key, c.step_data, c.value_data, c.time_data).where(
        c.run_id.in_(list(run_ids))
    )
    if key is not None:
        stmt = stmt.where(c.key == key)
    found: dict[tuple[str, str], Curve] = {}
    for run_id, name, steps, values, stamps in conn.execute(stmt.order_by(c.run_id, c.key, c.id)):
        curve = found.get((run_id, name))
        if curve is None:
            curve = found[run_id, name] = Curve([], [], [])
        curve.steps += _unpack("q", steps)
        curve.values += _unpack("d", values)
        curve.timestamps += _unpack("d", stamps)
    return found


#: Ids per DELETE statement (SQLite allows 32,766 bound values; older builds 999).
_DELETE_BATCH = 900


def compact(conn: Connection, run_id: str) -> int:
    """Merge the histories of run ``run_id`` kept in more rows than their points need into as
    few rows as they fit, points in the order logged; return how many rows it removed.

    Rows are removed by id, the ones read: a point another writer adds meanwhile is kept.
    """
    c = t.metric_chunks.c
    counts = select(c.key, func.count(), func.sum(c.points)).where(c.run_id == run_id)
    keys = [
        key
        for key, rows, points in conn.execute(counts.group_by(c.key))
        if rows > -(-int(points) // MAX_CHUNK)
    ]
    if not keys:
        return 0
    stmt = select(c.id, c.key, c.step_data, c.value_data, c.time_data).where(
        c.run_id == run_id, c.key.in_(keys)
    )
    read: list[int] = []
    merged: dict[str, tuple[list[bytes], list[bytes], list[bytes]]] = {}
    for row_id, key, steps, values, stamps in conn.execute(stmt.order_by(c.key, c.id)):
        read.append(row_id)
        parts = merged.get(key)
        if parts is None:
            parts = merged[key] = ([], [], [])
        parts[0].append(steps)
        parts[1].append(values)
        parts[2].append(stamps)
    for start in range(0, len(read), _DELETE_BATCH):
        conn.execute(delete(t.metric_chunks).where(c.id.in_(read[start : start + _DELETE_BATCH])))
    rows = []
    for key, (steps, values, stamps) in merged.items():
        # The rows share one encoding: their bytes join into one history as they are.
        step_bytes, value_bytes, time_bytes = b"".join(steps), b"".join(values), b"".join(stamps)
        size = 8 * MAX_CHUNK
        for start in range(0, len(step_bytes), size):
            cut = slice(start, start + size)
            part = _unpack("q", step_bytes[cut])
            rows.append(_row(run_id, key, part, step_bytes[cut], value_bytes[cut], time_bytes[cut]))
    insert_many(conn, t.metric_chunks, CHUNK_COLUMNS, rows)
    return len(read) - len(rows)
