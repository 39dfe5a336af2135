"""Metric histories in chunks: a row per write of one metric of one run, not a row per point.

``metric_chunks`` keeps the points one write logged for one metric (up to 10,000) as three
little-endian arrays: int64 steps, float64 values (NaN kept), float64 timestamps (seconds).
A row per point cost SQLite two B-tree inserts and a foreign-key lookup per point, most of
an MLflow ``log-batch`` of 1,000 points, and 114 bytes a point on disk; a chunk costs that
once per metric of the write, and 45 bytes a point in 100-point writes.

The upgrade moves every point over, run by run, in the order it was logged (``metrics.id``);
the downgrade puts them back as rows, in the same order.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MAX_CHUNK = 10_000
RUNS_PER_PAGE = 200
_SWAP = sys.byteorder != "little"

_meta = sa.MetaData()
_runs = sa.Table("runs", _meta, sa.Column("id", sa.String(32)))
_points = sa.Table(
    "metrics",
    _meta,
    sa.Column("id", BigId),
    sa.Column("run_id", sa.String(32)),
    sa.Column("key", sa.String(250)),
    sa.Column("step", sa.BigInteger),
    sa.Column("value", sa.Double),
    sa.Column("is_nan", sa.Boolean),
    sa.Column("timestamp", sa.Double),
)
_chunks = sa.Table(
    "metric_chunks",
    _meta,
    sa.Column("id", BigId),
    sa.Column("run_id", sa.String(32)),
    sa.Column("key", sa.String(250)),
    sa.Column("points", sa.Integer),
    sa.Column("first_step", sa.BigInteger),
    sa.Column("last_step", sa.BigInteger),
    sa.Column("step_data", sa.LargeBinary),
    sa.Column("value_data", sa.LargeBinary),
    sa.Column("time_data", sa.LargeBinary),
)


def _pack(code: str, items: list[Any]) -> bytes:
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


def _run_pages() -> Iterator[list[str]]:
    """Every run id, a page at a time (keyset pagination: bounded memory on any store)."""
    conn = op.get_bind()
    last = None
    while True:
        stmt = sa.select(_runs.c.id).order_by(_runs.c.id).limit(RUNS_PER_PAGE)
        if last is not None:
            stmt = stmt.where(_runs.c.id > last)
        page = [str(i) for (i,) in conn.execute(stmt)]
        if not page:
            return
        yield page
        last = page[-1]


def _chunk(
    run_id: str, key: str, steps: list[int], values: list[float], stamps: list[float]
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "key": key,
        "points": len(steps),
        "first_step": min(steps),
        "last_step": max(steps),
        "step_data": _pack("q", steps),
        "value_data": _pack("d", values),
        "time_data": _pack("d", stamps),
    }


def upgrade() -> None:
    op.create_table(
        "metric_chunks",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("first_step", sa.BigInteger, nullable=False),
        sa.Column("last_step", sa.BigInteger, nullable=False),
        sa.Column("step_data", sa.LargeBinary, nullable=False),
        sa.Column("value_data", sa.LargeBinary, nullable=False),
        sa.Column("time_data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_metric_chunks"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], ondelete="CASCADE", name="fk_metric_chunks_run_id_runs"
        ),
    )
    op.create_index("ix_metric_chunks_run_key_id", "metric_chunks", ["run_id", "key", "id"])
    conn = op.get_bind()
    m = _points.c
    for page in _run_pages():
        rows = conn.execute(
            sa.select(m.run_id, m.key, m.step, m.value, m.is_nan, m.timestamp)
            .where(m.run_id.in_(page))
            .order_by(m.run_id, m.key, m.id)
        )
        chunks: list[dict[str, Any]] = []
        current = ("", "")
        steps: list[int] = []
        values: list[float] = []
        stamps: list[float] = []
        for run_id, key, step, value, nan, ts in rows:
            if (run_id, key) != current or len(steps) == MAX_CHUNK:
                if steps:
                    chunks.append(_chunk(*current, steps, values, stamps))
                current, steps, values, stamps = (str(run_id), str(key)), [], [], []
            steps.append(int(step))
            values.append(float("nan") if nan or value is None else float(value))
            stamps.append(float(ts))
        if steps:
            chunks.append(_chunk(*current, steps, values, stamps))
        if chunks:
            conn.execute(_chunks.insert(), chunks)
    op.drop_index("ix_metrics_run_key_step", table_name="metrics")
    op.drop_table("metrics")


def downgrade() -> None:
    op.create_table(
        "metrics",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Double),
        sa.Column("is_nan", sa.Boolean, nullable=False),
        sa.Column("timestamp", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_metrics"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], ondelete="CASCADE", name="fk_metrics_run_id_runs"
        ),
    )
    op.create_index("ix_metrics_run_key_step", "metrics", ["run_id", "key", "step"])
    conn = op.get_bind()
    c = _chunks.c
    for page in _run_pages():
        rows: list[dict[str, Any]] = []
        for run_id, key, steps, values, stamps in conn.execute(
            sa.select(c.run_id, c.key, c.step_data, c.value_data, c.time_data)
            .where(c.run_id.in_(page))
            .order_by(c.id)
        ):
            for step, value, ts in zip(
                _unpack("q", steps), _unpack("d", values), _unpack("d", stamps), strict=True
            ):
                nan = value != value
                rows.append(
                    {
                        "run_id": run_id,
                        "key": key,
                        "step": step,
                        "value": None if nan else value,
                        "is_nan": nan,
                        "timestamp": ts,
                    }
                )
        if rows:
            conn.execute(_points.insert(), rows)
    op.drop_index("ix_metric_chunks_run_key_id", table_name="metric_chunks")
    op.drop_table("metric_chunks")
