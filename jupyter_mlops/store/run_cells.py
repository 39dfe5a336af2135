"""The params, metrics and tags of a page of runs, fetched in as few statements as the backend
allows: one JSON parameter on SQLite, one array parameter (probes or one scan) on PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Double,
    Integer,
    Select,
    String,
    Table,
    Text,
    any_,
    bindparam,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY

from jupyter_mlops.store import tables as t

#: A value of one run: (the run's position in the page, key, value).
Cell = tuple[int, str, Any]

# SQLite allows 999 bound variables per statement before 3.32; json_each is built in from 3.38.
CHUNK = 900
_SQLITE_HAS_JSON = sqlite3.sqlite_version_info >= (3, 38)
# Up to this many runs, PostgreSQL fetches their cells by index probes, beyond by one scan.
PROBE_LIMIT = 2000


def fetch_cells(conn: Connection, table: Table, ids: list[str], dialect: str) -> list[Cell]:
    """Return ``(position in ids, key, value)`` for the rows of ``table`` about runs ``ids``."""
    if dialect == "sqlite" and _SQLITE_HAS_JSON:
        # One JSON parameter instead of an expanded IN list: no 999-variable limit, and
        # SQLAlchemy's rendering of 1,000 placeholders per execution costs more than the
        # query itself. json_each's ``key`` is the array index, i.e. the row position.
        listed = func.json_each(bindparam("ids", json.dumps(ids), type_=String)).table_valued(
            "key", "value"
        )
        stmt = select(listed.c.key, table.c.key, table.c.value).join_from(
            listed, table, table.c.run_id == listed.c.value
        )
        return cast("list[Cell]", conn.execute(stmt).all())
    if dialect == "postgresql":
        return _fetch_postgresql(conn, table, ids)
    position = {run_id: i for i, run_id in enumerate(ids)}
    out: list[Cell] = []
    for start in range(0, len(ids), CHUNK):
        stmt = select(table.c.run_id, table.c.key, table.c.value).where(
            table.c.run_id.in_(ids[start : start + CHUNK])
        )
        out.extend((position[run_id], key, value) for run_id, key, value in conn.execute(stmt))
    return out


def _fetch_postgresql(conn: Connection, table: Table, ids: list[str]) -> list[Cell]:
    """One array parameter, like SQLite's json_each, with a plan chosen by page size.

    A page of runs (the default 1,000) is fetched by one primary-key probe per run: the
    LATERAL subquery, kept from being flattened by ``OFFSET 0``, stops the planner from
    hashing the whole table. Thousands of runs are cheaper as one scan with a hashed
    ``= ANY`` (PostgreSQL 14+).
    """
    array = bindparam("ids", ids, type_=ARRAY(String))
    if len(ids) <= PROBE_LIMIT:
        listed = (
            func.unnest(array).table_valued("value", with_ordinality="position").render_derived()
        )
        rows = (
            select(table.c.key, table.c.value)
            .where(table.c.run_id == listed.c.value)
            .offset(0)
            .lateral()
        )
        stmt = select(listed.c.position - 1, rows.c.key, rows.c.value).select_from(
            listed.join(rows, true())
        )
        return cast("list[Cell]", conn.execute(stmt).all())
    position = {run_id: i for i, run_id in enumerate(ids)}
    found = conn.execute(
        select(table.c.run_id, table.c.key, table.c.value).where(table.c.run_id == any_(array))
    )
    return [(position[run_id], key, value) for run_id, key, value in found]


def _all_sqlite_sql() -> str:
    """Params, metrics and tags of the runs listed in parameter 1 (a JSON array of ids), each
    row ``(position, kind, key, value)`` with kind 0, 1, 2."""
    branches = [
        # The names are this schema's own; the ids go as the one parameter.
        f"SELECT l.key, {kind}, v.key, v.value FROM json_each(?1) AS l "  # noqa: S608
        f"JOIN {table.name} AS v ON v.run_id = l.value"
        for kind, table in enumerate((t.params, t.latest_metrics, t.tags))
    ]
    return " UNION ALL ".join(branches)


_ALL_SQLITE = _all_sqlite_sql()


def fetch_all(
    conn: Connection, ids: list[str], dialect: str
) -> tuple[list[Cell], list[Cell], list[Cell]]:
    """Params, metrics and tags of runs ``ids``: ``(position in ids, key, value)`` cells."""
    if dialect == "postgresql":
        return fetch_all_postgresql(conn, ids)
    if dialect != "sqlite" or not _SQLITE_HAS_JSON or not ids:
        return (
            fetch_cells(conn, t.params, ids, dialect),
            fetch_cells(conn, t.latest_metrics, ids, dialect),
            fetch_cells(conn, t.tags, ids, dialect),
        )
    # One statement on the transaction's own sqlite3 connection: a page of 1,000 runs is
    # some 10,000 cells, and a plain tuple per cell costs a third of SQLAlchemy's row.
    # SQLite returns each value as stored (text params, real metrics), as SQLAlchemy would.
    driver = conn.connection.driver_connection
    assert driver is not None
    out: tuple[list[Cell], list[Cell], list[Cell]] = ([], [], [])
    cursor = driver.execute(_ALL_SQLITE, (json.dumps(ids),))
    try:
        for i, kind, key, value in cursor:
            out[kind].append((i, key, value))
    finally:
        cursor.close()
    return out


def fetch_all_postgresql(
    conn: Connection, ids: list[str]
) -> tuple[list[Cell], list[Cell], list[Cell]]:
    """Params, metrics and tags of runs ``ids`` in one statement (one round trip, not three).

    Each row says which table it came from; text values and metric values have their own
    columns so nothing is converted. Probes or one scan, as in :func:`_fetch_postgresql`.
    """
    array = bindparam("ids", ids, type_=ARRAY(String))
    probe = len(ids) <= PROBE_LIMIT
    listed = func.unnest(array).table_valued("value", with_ordinality="position").render_derived()

    def branch(kind: int, table: Table) -> Select[Any]:
        numeric = table is t.latest_metrics
        return select(
            literal(kind, Integer).label("kind"),
            table.c.run_id,
            table.c.key,
            (null() if numeric else table.c.value).cast(Text).label("text"),
            (table.c.value if numeric else null()).cast(Double).label("number"),
        ).where(table.c.run_id == (listed.c.value if probe else any_(array)))

    union = union_all(branch(0, t.params), branch(1, t.latest_metrics), branch(2, t.tags))
    if probe:
        found = union.offset(0).lateral()
        stmt = select(
            listed.c.position - 1, found.c.kind, found.c.key, found.c.text, found.c.number
        ).select_from(listed.join(found, true()))
        rows: Sequence[Sequence[Any]] = conn.execute(stmt).all()
    else:
        position = {run_id: i for i, run_id in enumerate(ids)}
        rows = [
            (position[run_id], kind, key, text, number)
            for kind, run_id, key, text, number in conn.execute(union)
        ]
    out: tuple[list[Cell], list[Cell], list[Cell]] = ([], [], [])
    for i, kind, key, text, number in rows:
        out[kind].append((i, key, number if kind == 1 else text))
    return out
