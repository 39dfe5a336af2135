"""Run search: the runs matching a filter, ordered and a page at a time, as a DataFrame.

The filter language is :mod:`jupyter_mlops.expressions`; :mod:`jupyter_mlops.store.run_filter`
compiles it to SQL (and says what each comparison matches), :mod:`jupyter_mlops.store.run_cells`
fetches a page's params, metrics and tags. Missing values sort last (a NaN metric just
before them); ties break newest first, then on run id, as in MLflow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, FromClause, Select, and_, false, func, select

from jupyter_mlops.expressions import OrderKey, parse_filter, parse_order_by
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.arguments import as_list, page_bounds
from jupyter_mlops.store.core import Store
from jupyter_mlops.store.order import code_point
from jupyter_mlops.store.run_cells import Cell, fetch_all
from jupyter_mlops.store.run_filter import (
    ATTRIBUTES,
    NULLABLE,
    NUMERIC,
    VALUE_TABLES,
    compile_filter,
    get_experiment_ids,
    run_conditions,
)
from jupyter_mlops.store.runs import reap_stale_runs, shown_row

__all__ = [
    "BASE_COLUMNS",
    "FoundRuns",
    "compile_filter",
    "count_runs",
    "find_runs",
    "get_experiment_ids",
    "run_keys",
    "search_runs",
]

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
_DEFAULT_ORDER = (OrderKey("attribute", "start_time", True),)


def _runs_with_experiment() -> FromClause:
    return t.runs.join(t.experiments, t.experiments.c.id == t.runs.c.experiment_id)


def _ordered(stmt: Select[Any], source: FromClause, keys: Sequence[OrderKey]) -> Select[Any]:
    """Join what ``keys`` sort on and order by them as MLflow does: a NaN metric after every
    number and before missing values, missing values last (either direction), then ties
    newest first (unless ``start_time`` is a key) and by run id.

    Text sorts by code point on every backend: PostgreSQL would otherwise follow the
    server's locale (``en_US``: ``alpha`` before ``Beta``; SQLite: ``Beta`` first).
    """
    order: list[ColumnElement[Any]] = []
    for i, key in enumerate(keys):
        nullable = True
        if key.kind == "attribute":
            value = ATTRIBUTES[key.key]
            nullable = key.key in NULLABLE
            text = key.key not in NUMERIC
            if key.key == "status":
                value = func.upper(value)  # MLflow's FAILED < FINISHED < KILLED < RUNNING
        else:
            table = VALUE_TABLES[key.kind].alias(f"order_{i}")
            source = source.outerjoin(
                table, and_(table.c.run_id == t.runs.c.id, table.c.key == key.key)
            )
            value = table.c.value
            text = key.kind != "metric"
            if key.kind == "metric":
                # Portable: false sorts before true on SQLite and PostgreSQL. A NaN is
                # stored as NULL with is_nan set; a missing metric has no row at all.
                order.append(table.c.run_id.is_(None))
                order.append(func.coalesce(table.c.is_nan, false()))
                nullable = False
        if text:
            value = code_point(value)
        if nullable:
            order.append(value.is_(None))  # portable NULLS LAST
        order.append(value.desc() if key.descending else value.asc())
    if not any(key.kind == "attribute" and key.key == "start_time" for key in keys):
        order.append(t.runs.c.start_time.desc())
    order.append(t.runs.c.id.asc())
    return stmt.select_from(source).order_by(*order)


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
    roots_only: bool = False,
    lifecycle: str = "active",
) -> FoundRuns:
    """Find runs matching ``filter``: the arguments and errors of :func:`search_runs`.

    Runs whose process died are marked killed first, so no face shows a ghost ``running``.
    ``roots_only`` leaves out child runs (pipeline steps, search candidates).
    """
    page_bounds(limit, offset)
    node = parse_filter(filter)
    keys = [parse_order_by(item) for item in as_list(order_by, "order_by")] or list(_DEFAULT_ORDER)
    reap_stale_runs(store)
    with store.read() as conn:
        conditions = run_conditions(
            conn,
            node,
            experiments=experiments,
            statuses=statuses,
            dialect=store.dialect,
            lifecycle=lifecycle,
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
            t.runs.c.deleted_at,
        ).where(*conditions, *_roots(roots_only, page=True))
        page = _ordered(stmt, _runs_with_experiment(), keys)
        rows: Sequence[Sequence[Any]] = conn.execute(page.limit(limit).offset(offset)).all()
        if store.unrecorded_kills:  # dead runs that a read-only store could not mark
            rows = [shown_row(store, row) for row in rows]
        ids = [str(row[0]) for row in rows]
        params, metrics, run_tags = fetch_all(conn, ids, store.dialect)
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
    lifecycle: str = "active",
) -> pd.DataFrame:
    """Find runs matching ``filter`` and return one row per run.

    Args:
        store: the store to search.
        filter: e.g. ``metrics.auc > 0.9 and params.C = '0.5'``; None or blank matches all.
        experiments: only runs of these experiment names.
        order_by: items like ``metrics.auc desc`` or ``name``; default ``start_time desc``.
            Missing values sort last, a NaN metric just before them; ties break
            newest first, then on run id, so pages are stable (MLflow's order).
        limit: the most rows to return; None for all.
        offset: rows to skip first, for pagination.
        statuses: only runs with these statuses.
        lifecycle: ``active`` (default) leaves deleted runs out, ``deleted`` finds only
            them, ``all`` both.

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
        lifecycle=lifecycle,
    )
    return _frame(found.rows, found.params, found.metrics, found.tags)


def count_runs(
    store: Store,
    filter: str | None = None,
    *,
    experiments: str | Sequence[str] | None = None,
    statuses: str | Sequence[str] | None = None,
    roots_only: bool = False,
    lifecycle: str = "active",
) -> int:
    """Count the runs :func:`search_runs` would find without a limit (for pagination).

    Raises:
        FilterSyntaxError: for a filter that does not parse.
        NotFoundError: for an unknown experiment name.
    """
    node = parse_filter(filter)
    reap_stale_runs(store)
    with store.read() as conn:
        conditions = run_conditions(
            conn,
            node,
            experiments=experiments,
            statuses=statuses,
            dialect=store.dialect,
            lifecycle=lifecycle,
        )
        stmt = (
            select(func.count())
            .select_from(_runs_with_experiment())
            .where(*conditions, *_roots(roots_only, page=False))
        )
        return int(conn.execute(stmt).scalar_one())


def _roots(roots_only: bool, *, page: bool) -> list[ColumnElement[bool]]:
    """The condition "no parent" when asked. For a page it is written so that the database
    walks the start-time index rather than the parent index (which every top-level run
    matches, and then sorts them all): 0.5 s instead of 0.1 s for a page of 100,000 runs."""
    if not roots_only:
        return []
    parent = t.runs.c.parent_id
    return [func.coalesce(parent, "") == ""] if page else [parent.is_(None)]


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
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * 9
    ids, names, experiments, statuses, starts, ends, users, parents, _deleted = columns
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
                # Each distinct key (read from the key index), kept when some run of the
                # experiments has it: the search stops at the first such run, where joining
                # every row to its run took 0.8 s for 100,000 runs.
                keys = stmt.subquery()
                one = table.alias("one")
                has = (
                    select(one.c.run_id)
                    .join(t.runs, t.runs.c.id == one.c.run_id)
                    .where(one.c.key == keys.c.key)
                    .where(t.runs.c.experiment_id.in_(ids) if ids else false())
                )
                stmt = select(keys.c.key).where(has.exists())
            found.append(sorted(str(key) for key in conn.scalars(stmt)))
    return found[0], found[1], found[2]
