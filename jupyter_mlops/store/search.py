r"""Run search: compile a filter to SQLAlchemy Core and return runs as a DataFrame.

The filter language (grammar, names, quoting, limits) is :mod:`jupyter_mlops.expressions`;
this module is its SQL evaluator.

Semantics, chosen to match what the resulting DataFrame shows:

- ``metrics.X`` compares the latest value of X; a run without X does not match, and
  ``metrics.X IS NULL`` means "X was never logged". A NaN value is present but matches no
  ordering or equality, except ``!=`` and ``NOT IN`` which it satisfies (as in pandas).
- ``params.X`` and ``tags.X`` compare text; a run without X matches no comparison.
- ``not`` is the complement: ``not metrics.auc > 0.9`` also matches runs without ``auc``.
- ``LIKE`` is case-sensitive on every backend (``GLOB`` on SQLite), ``ILIKE`` is not;
  ``\\%`` and ``\\_`` match a literal percent sign and underscore.
- ``run_id = 'ab12cd34'`` with fewer than 32 characters matches ids starting with it.

Every value reaches the database as a bound parameter; no SQL is built from strings.
"""

from __future__ import annotations

import difflib
import json
import operator
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Double,
    FromClause,
    Integer,
    Select,
    String,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY

from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.expressions import (
    RUN_STATUSES,
    And,
    Comparison,
    Node,
    Not,
    Or,
    OrderKey,
    Value,
    parse_filter,
    parse_order_by,
)
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.arguments import as_list, page_bounds
from jupyter_mlops.store.core import Store
from jupyter_mlops.store.order import code_point
from jupyter_mlops.store.runs import reap_stale_runs, shown_row

BASE_COLUMNS = (
    "run_id",
    "short_id",
    "name",
    "experiment",
    "status",
    "start_time",
    "end_time",
    "duration",
    "user",
    "parent_id",
)
# SQLite allows 999 bound variables per statement before 3.32; json_each is built in from 3.38.
CHUNK = 900
_SQLITE_HAS_JSON = sqlite3.sqlite_version_info >= (3, 38)
# Up to this many runs, PostgreSQL fetches their cells by index probes, beyond by one scan.
_PROBE_LIMIT = 2000
_RUN_ID_LENGTH = 32
_DEFAULT_ORDER = (OrderKey("attribute", "start_time", True),)
_VALUE_TABLES: dict[str, Table] = {
    "metric": t.latest_metrics,
    "param": t.params,
    "tag": t.tags,
}
_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_NULLABLE = frozenset({"end_time", "duration", "user", "parent_id"})


_RUNS = t.runs.c
_ATTRIBUTES: dict[str, ColumnElement[Any]] = {
    "status": _RUNS.status,
    "name": _RUNS.name,
    "experiment": t.experiments.c.name,
    "run_id": _RUNS.id,
    "user": _RUNS.user_name,
    "parent_id": _RUNS.parent_id,
    "start_time": _RUNS.start_time,
    "end_time": _RUNS.end_time,
    "duration": _RUNS.end_time - _RUNS.start_time,
}
_NUMERIC = frozenset({"start_time", "end_time", "duration"})


def _floats(value: Value) -> Value:
    """Bind numbers as floats, so every backend compares them with a double column alike."""
    if isinstance(value, tuple):
        return tuple(float(item) for item in value)
    return None if value is None else float(value)


def compile_filter(node: Node, *, dialect: str = "sqlite") -> ColumnElement[bool]:
    """Compile a parsed filter to a boolean expression over ``runs`` joined to ``experiments``.

    Args:
        node: the tree from :func:`~jupyter_mlops.expressions.parse_filter`.
        dialect: the store's dialect name; it picks how LIKE keeps case-sensitivity.

    Returns:
        A two-valued (never NULL) SQLAlchemy condition with bound parameters only. The
        operands of ``and``/``or`` stay one flat list (``a OR b OR c``), so the SQL nests no
        deeper than the filter's parentheses: within SQLite's expression depth limit for
        every filter the parser accepts.
    """
    if isinstance(node, And):
        return and_(*(compile_filter(item, dialect=dialect) for item in node.operands))
    if isinstance(node, Or):
        return or_(*(compile_filter(item, dialect=dialect) for item in node.operands))
    if isinstance(node, Not):
        return not_(compile_filter(node.operand, dialect=dialect))
    if node.kind == "attribute":
        return _compile_attribute(node, dialect)
    table = _VALUE_TABLES[node.kind]
    run_ids = select(table.c.run_id).where(table.c.key == node.key)
    if node.op == "IS NULL":
        return t.runs.c.id.not_in(run_ids)
    if node.op != "IS NOT NULL":
        value = _floats(node.value) if node.kind == "metric" else node.value
        cond = _compare(table.c.value, node.op, value, dialect)
        if node.kind == "metric" and node.op in ("!=", "NOT IN"):
            cond = or_(cond, table.c.is_nan)
        run_ids = run_ids.where(cond)
    # IN (subquery) lets the database walk the (key, value) index for the matching runs.
    return t.runs.c.id.in_(run_ids)


def _compile_attribute(node: Comparison, dialect: str) -> ColumnElement[bool]:
    column = _ATTRIBUTES[node.key]
    if node.op == "IS NULL":
        return column.is_(None)
    if node.op == "IS NOT NULL":
        return column.is_not(None)
    if node.key == "run_id" and node.op in ("=", "!=", "IN", "NOT IN"):
        values = node.value if isinstance(node.value, tuple) else (node.value,)
        cond = or_(false(), *(_run_id_matches(str(value)) for value in values))
        return cond if node.op in ("=", "IN") else not_(cond)
    value = _floats(node.value) if node.key in _NUMERIC else node.value
    cond = _compare(column, node.op, value, dialect)
    # Keep the condition two-valued so that NOT is the complement for NULL columns too.
    return and_(column.is_not(None), cond) if node.key in _NULLABLE else cond


def _run_id_matches(value: str) -> ColumnElement[bool]:
    value = value.lower()
    if len(value) >= _RUN_ID_LENGTH:
        return t.runs.c.id == value
    return t.runs.c.id.like(_escape_like(value) + "%", escape="\\")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _compare(column: ColumnElement[Any], op: str, value: Any, dialect: str) -> ColumnElement[bool]:
    binary = _BINARY.get(op)
    if binary is not None:
        return cast("ColumnElement[bool]", binary(column, value))
    cond: ColumnElement[bool]
    if op in ("IN", "NOT IN"):
        cond = column.in_(list(value))
        return cond if op == "IN" else not_(cond)
    if op in ("LIKE", "NOT LIKE"):
        cond = _like(column, str(value), dialect)
        return cond if op == "LIKE" else not_(cond)
    if op in ("ILIKE", "NOT ILIKE"):
        cond = column.ilike(_close_escape(str(value)), escape="\\")
        return cond if op == "ILIKE" else not_(cond)
    raise MlopsUsageError(f"Unsupported filter operator {op!r}.")


def _like(column: ColumnElement[Any], pattern: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "sqlite":
        # SQLite's LIKE ignores ASCII case; GLOB is its case-sensitive twin.
        return column.op("GLOB", is_comparison=True, return_type=Boolean)(_like_to_glob(pattern))
    return column.like(_close_escape(pattern), escape="\\")


def _close_escape(pattern: str) -> str:
    """Double a trailing lone backslash, which LIKE ... ESCAPE would reject."""
    trailing = len(pattern) - len(pattern.rstrip("\\"))
    return pattern + "\\" if trailing % 2 else pattern


def _like_to_glob(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            ch = pattern[i + 1]
            out.append(f"[{ch}]" if ch in "*?[" else ch)
            i += 2
            continue
        out.append("*" if ch == "%" else "?" if ch == "_" else f"[{ch}]" if ch in "*?[" else ch)
        i += 1
    return "".join(out)


def get_experiment_ids(conn: Connection, names: str | Iterable[str]) -> list[int]:
    """Return the ids of the experiments called ``names``, in the same order.

    Raises:
        NotFoundError: naming every unknown experiment, with close matches when there are any.
    """
    wanted = [names] if isinstance(names, str) else list(names)
    exp = t.experiments.c
    found = {
        str(name): int(exp_id)
        for name, exp_id in conn.execute(select(exp.name, exp.id).where(exp.name.in_(wanted)))
    }
    missing = [name for name in wanted if name not in found]
    if not missing:
        return [found[name] for name in wanted]
    known = sorted(str(name) for name in conn.scalars(select(exp.name)))
    label = "experiment" if len(missing) == 1 else "experiments"
    message = f"No {label} named {', '.join(map(repr, missing))}"
    close = [m for name in missing for m in difflib.get_close_matches(name, known, n=3)]
    if close:
        message += f"; did you mean {', '.join(map(repr, dict.fromkeys(close)))}?"
    elif known:
        more = ", ..." if len(known) > 10 else ""
        message += f"; known experiments: {', '.join(known[:10])}{more}."
    else:
        message += "; the store has no experiments yet."
    raise NotFoundError(message, names=missing)


def _conditions(
    conn: Connection,
    node: Node | None,
    *,
    experiments: str | Sequence[str] | None,
    statuses: str | Sequence[str] | None,
    dialect: str,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if node is not None:
        conditions.append(compile_filter(node, dialect=dialect))
    if experiments is not None:
        ids = get_experiment_ids(conn, as_list(experiments, "experiments"))
        conditions.append(t.runs.c.experiment_id.in_(ids) if ids else false())
    if statuses is not None:
        wanted = [status.lower() for status in as_list(statuses, "statuses")]
        unknown = [status for status in wanted if status not in RUN_STATUSES]
        if unknown:
            raise MlopsUsageError(
                f"Unknown run status {unknown[0]!r}; expected one of {', '.join(RUN_STATUSES)}."
            )
        conditions.append(t.runs.c.status.in_(wanted) if wanted else false())
    return conditions


def _runs_with_experiment() -> FromClause:
    return t.runs.join(t.experiments, t.experiments.c.id == t.runs.c.experiment_id)


def _ordered(stmt: Select[Any], source: FromClause, keys: Sequence[OrderKey]) -> Select[Any]:
    """Join what ``keys`` sort on and order by them, missing values last, then by run id.

    Text sorts by code point on every backend: PostgreSQL would otherwise follow the
    server's locale (``en_US``: ``alpha`` before ``Beta``; SQLite: ``Beta`` first).
    """
    order: list[ColumnElement[Any]] = []
    for i, key in enumerate(keys):
        nullable = True
        if key.kind == "attribute":
            value = _ATTRIBUTES[key.key]
            nullable = key.key in _NULLABLE
            text = key.key not in _NUMERIC
        else:
            table = _VALUE_TABLES[key.kind].alias(f"order_{i}")
            source = source.outerjoin(
                table, and_(table.c.run_id == t.runs.c.id, table.c.key == key.key)
            )
            value = table.c.value
            text = key.kind != "metric"
        if text:
            value = code_point(value)
        if nullable:
            # Portable NULLS LAST: false sorts before true on SQLite and PostgreSQL.
            order.append(value.is_(None))
        order.append(value.desc() if key.descending else value.asc())
    order.append(t.runs.c.id.asc())
    return stmt.select_from(source).order_by(*order)


Cell = tuple[int, str, Any]


@dataclass(frozen=True)
class FoundRuns:
    """One page of runs as the database gave it: run rows, then (position, key, value) cells.

    Rows are ``(id, name, experiment, status, start_time, end_time, user, parent_id)``; a
    cell's position is the row it belongs to. A metric cell holds the latest value, None for
    a logged NaN. :func:`search_runs` makes a DataFrame of it, the run services records.
    """

    rows: Sequence[Sequence[Any]]
    params: list[Cell]
    metrics: list[Cell]
    tags: list[Cell]


def find_runs(
    store: Store,
    filter: str | None = None,
    *,
    experiments: str | Sequence[str] | None = None,
    order_by: str | Sequence[str] | None = None,
    limit: int | None = 1000,
    offset: int = 0,
    statuses: str | Sequence[str] | None = None,
) -> FoundRuns:
    """Find runs matching ``filter``: the arguments and errors of :func:`search_runs`.

    Runs whose process died are marked killed first, so no face shows a ghost ``running``.
    """
    page_bounds(limit, offset)
    node = parse_filter(filter)
    keys = [parse_order_by(item) for item in as_list(order_by, "order_by")] or list(_DEFAULT_ORDER)
    reap_stale_runs(store)
    with store.read() as conn:
        conditions = _conditions(
            conn, node, experiments=experiments, statuses=statuses, dialect=store.dialect
        )
        stmt = select(
            t.runs.c.id,
            t.runs.c.name,
            t.experiments.c.name,
            t.runs.c.status,
            t.runs.c.start_time,
            t.runs.c.end_time,
            t.runs.c.user_name,
            t.runs.c.parent_id,
        ).where(*conditions)
        page = _ordered(stmt, _runs_with_experiment(), keys)
        rows: Sequence[Sequence[Any]] = conn.execute(page.limit(limit).offset(offset)).all()
        if store.unrecorded_kills:  # dead runs that a read-only store could not mark
            rows = [shown_row(store, row) for row in rows]
        ids = [str(row[0]) for row in rows]
        if store.dialect == "postgresql":
            params, metrics, run_tags = _fetch_all_postgresql(conn, ids)
        else:
            params = _fetch(conn, t.params, ids, store.dialect)
            metrics = _fetch(conn, t.latest_metrics, ids, store.dialect)
            run_tags = _fetch(conn, t.tags, ids, store.dialect)
    return FoundRuns(rows, params, metrics, run_tags)


def search_runs(
    store: Store,
    filter: str | None = None,
    *,
    experiments: str | Sequence[str] | None = None,
    order_by: str | Sequence[str] | None = None,
    limit: int | None = 1000,
    offset: int = 0,
    statuses: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Find runs matching ``filter`` and return one row per run.

    Args:
        store: the store to search.
        filter: e.g. ``metrics.auc > 0.9 and params.C = '0.5'``; None or blank matches all.
        experiments: only runs of these experiment names.
        order_by: items like ``metrics.auc desc`` or ``name``; default ``start_time desc``.
            Missing values sort last; ties break on run id, so pages are stable.
        limit: the most rows to return; None for all.
        offset: rows to skip first, for pagination.
        statuses: only runs with these statuses.

    Returns:
        Columns ``run_id, short_id, name, experiment, status, start_time, end_time`` (UTC),
        ``duration`` (seconds), ``user, parent_id``, then ``params.*`` (str), ``metrics.*``
        (float, latest value) and ``tags.*``, each group in key order.

    Raises:
        FilterSyntaxError: for a filter or order_by item that does not parse.
        NotFoundError: for an unknown experiment name.
        MlopsUsageError: for a negative limit or offset or an unknown status.
    """
    found = find_runs(
        store,
        filter,
        experiments=experiments,
        order_by=order_by,
        limit=limit,
        offset=offset,
        statuses=statuses,
    )
    return _frame(found.rows, found.params, found.metrics, found.tags)


def count_runs(
    store: Store,
    filter: str | None = None,
    *,
    experiments: str | Sequence[str] | None = None,
    statuses: str | Sequence[str] | None = None,
) -> int:
    """Count the runs :func:`search_runs` would find without a limit (for pagination).

    Raises:
        FilterSyntaxError: for a filter that does not parse.
        NotFoundError: for an unknown experiment name.
    """
    node = parse_filter(filter)
    reap_stale_runs(store)
    with store.read() as conn:
        conditions = _conditions(
            conn, node, experiments=experiments, statuses=statuses, dialect=store.dialect
        )
        stmt = select(func.count()).select_from(_runs_with_experiment()).where(*conditions)
        return int(conn.execute(stmt).scalar_one())


def _fetch(conn: Connection, table: Table, ids: list[str], dialect: str) -> list[Cell]:
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
    if len(ids) <= _PROBE_LIMIT:
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


def _fetch_all_postgresql(
    conn: Connection, ids: list[str]
) -> tuple[list[Cell], list[Cell], list[Cell]]:
    """Params, metrics and tags of runs ``ids`` in one statement (one round trip, not three).

    Each row says which table it came from; text values and metric values have their own
    columns so nothing is converted. Probes or one scan, as in :func:`_fetch_postgresql`.
    """
    array = bindparam("ids", ids, type_=ARRAY(String))
    probe = len(ids) <= _PROBE_LIMIT
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


def _pivot(cells: list[Cell], size: int) -> dict[str, list[Any]]:
    """Turn (position, key, value) cells into one list per key; absent values are None."""
    columns: dict[str, list[Any]] = {}
    for i, key, value in cells:
        column = columns.get(key)
        if column is None:
            column = columns[key] = [None] * size
        column[i] = value
    return columns


def _frame(
    rows: Sequence[Sequence[Any]], params: list[Cell], metrics: list[Cell], run_tags: list[Cell]
) -> pd.DataFrame:
    """Build the result column by column (far cheaper than row by row)."""
    size = len(rows)
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * 8
    ids, names, experiments, statuses, starts, ends, users, parents = columns
    start = np.array(starts, dtype="float64")
    end = np.array(ends, dtype="float64")
    data: dict[str, Any] = {
        "run_id": pd.array(ids, dtype="str"),
        "short_id": pd.array([run_id[:8] for run_id in ids], dtype="str"),
        "name": pd.array(names, dtype="str"),
        "experiment": pd.array(experiments, dtype="str"),
        "status": pd.array(statuses, dtype="str"),
        "start_time": pd.to_datetime(start, unit="s", utc=True),
        "end_time": pd.to_datetime(end, unit="s", utc=True),
        "duration": end - start,
        "user": pd.array(users, dtype="str"),
        "parent_id": pd.array(parents, dtype="str"),
    }
    for prefix, cells in (("params", params), ("metrics", metrics), ("tags", run_tags)):
        pivoted = _pivot(cells, size)
        for key in sorted(pivoted):
            values = pivoted[key]
            # numpy reads None as NaN; a NaN metric is stored as NULL, so it stays NaN.
            data[f"{prefix}.{key}"] = (
                np.array(values, dtype="float64")
                if prefix == "metrics"
                else pd.array(values, dtype="str")
            )
    return pd.DataFrame(data)


def run_keys(
    store: Store, *, experiments: str | Sequence[str] | None = None
) -> tuple[list[str], list[str], list[str]]:
    """The param, metric and tag keys of the runs (of ``experiments``), each in code-point order.

    Raises:
        NotFoundError: for an unknown experiment name.
    """
    found: list[list[str]] = []
    with store.read() as conn:
        names = None if experiments is None else as_list(experiments, "experiments")
        ids = None if names is None else get_experiment_ids(conn, names)
        for table in (t.params, t.latest_metrics, t.tags):
            stmt = select(table.c.key).distinct()
            if ids is not None:
                stmt = stmt.join(t.runs, t.runs.c.id == table.c.run_id).where(
                    t.runs.c.experiment_id.in_(ids) if ids else false()
                )
            found.append(sorted(str(key) for key in conn.scalars(stmt)))
    return found[0], found[1], found[2]
