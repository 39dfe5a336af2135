"""Reading metric histories: one run's metric, or one metric of many runs as columns."""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import groupby
from operator import itemgetter

from sqlalchemy import func, select

from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store
from jupyter_mlops.store.records import MetricColumns, MetricPoint
from jupyter_mlops.store.runs import resolve_run_id


def metric_history(store: Store, ref: str, key: str) -> list[MetricPoint]:
    """Every logged point of one metric of one run, by step then time."""
    with store.read() as conn:
        run_id = resolve_run_id(conn, ref)
        rows = conn.execute(
            select(t.metrics.c.step, t.metrics.c.value, t.metrics.c.is_nan, t.metrics.c.timestamp)
            .where(t.metrics.c.run_id == run_id, t.metrics.c.key == key)
            .order_by(t.metrics.c.step, t.metrics.c.timestamp, t.metrics.c.id)
        ).all()
    return [
        MetricPoint(int(step), math.nan if nan else float(value), float(ts))
        for step, value, nan, ts in rows
    ]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection while a bulk read builds its rows.

    100,000 rows are 100,000 new tuples: each few hundred started a collection, and the
    older generations' passes over a server's whole heap took half of reading a compare
    view's curves. The rows hold no cycles; collection resumes (if it was on) right after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def metric_columns(store: Store, run_ids: Sequence[str], key: str) -> dict[str, MetricColumns]:
    """Every logged point of metric ``key`` of each of ``run_ids`` (full ids), by step then
    time, as columns: one statement for a chart of many runs, and no object per point.

    A chart of 100 runs x 1,000 points read as an object per point spent more time building
    and serialising the objects than the database spent finding the rows.
    """
    found = {run_id: MetricColumns([], [], []) for run_id in run_ids}
    with _collector_paused():
        with store.read() as conn:
            # NaN is stored as NULL (``is_nan`` set): the value alone says which are NaN. In
            # the index's order (no sort in SQLite); points sharing a step are put in time
            # order below, the rare case.
            rows = conn.execute(
                select(
                    t.metrics.c.run_id, t.metrics.c.step, t.metrics.c.value, t.metrics.c.timestamp
                )
                .where(t.metrics.c.run_id.in_(list(run_ids)), t.metrics.c.key == key)
                .order_by(t.metrics.c.run_id, t.metrics.c.step, t.metrics.c.id)
            ).all()  # fetched at once: row by row took 8 of 13 s for 1,000,000 points
        for run_id, group in groupby(rows, key=itemgetter(0)):
            _, steps, values, stamps = zip(*group, strict=True)
            if len(set(steps)) < len(steps):
                # by step, then time, then as logged (a stable sort): as the run page reads
                order = sorted(range(len(steps)), key=lambda i: (steps[i], stamps[i]))
                steps, values, stamps = (
                    tuple(col[i] for i in order) for col in (steps, values, stamps)
                )
            found[run_id] = MetricColumns(
                steps=list(steps),
                values=[math.nan if v is None else v for v in values],
                timestamps=list(stamps),
            )
    return found


def metrics_with_history(store: Store, run_ids: Sequence[str]) -> set[str]:
    """The metric keys that one of ``run_ids`` logged at more than one step."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.metrics.c.key)
            .where(t.metrics.c.run_id.in_(list(run_ids)))
            .group_by(t.metrics.c.run_id, t.metrics.c.key)
            .having(func.count() > 1)
        ).all()
    return {str(key) for (key,) in rows}
