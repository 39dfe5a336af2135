"""Reading metric histories: one run's metric, or one metric of many runs as columns."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import func, select

from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store
from jupyter_mlops.store.metric_chunks import read_curves, sorted_curve
from jupyter_mlops.store.records import MetricColumns, MetricPoint
from jupyter_mlops.store.runs import resolve_run_id


def metric_history(store: Store, ref: str, key: str) -> list[MetricPoint]:
    """Every logged point of one metric of one run, by step then time."""
    with store.read() as conn:
        run_id = resolve_run_id(conn, ref)
        curve = read_curves(conn, [run_id], key).get((run_id, key))
    if curve is None:
        return []
    curve = sorted_curve(curve)
    return [
        MetricPoint(step, value, ts)
        for step, value, ts in zip(curve.steps, curve.values, curve.timestamps, strict=True)
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
    and serialising the objects than the database spent finding the points.
    """
    found = {run_id: MetricColumns([], [], []) for run_id in run_ids}
    with _collector_paused():
        with store.read() as conn:
            curves = read_curves(conn, run_ids, key)
        for (run_id, _), curve in curves.items():
            curve = sorted_curve(curve)
            found[run_id] = MetricColumns(curve.steps, curve.values, curve.timestamps)
    return found


def metrics_with_history(store: Store, run_ids: Sequence[str]) -> set[str]:
    """The metric keys that one of ``run_ids`` logged at more than one step."""
    c = t.metric_chunks.c
    with store.read() as conn:
        rows = conn.execute(
            select(c.key)
            .where(c.run_id.in_(list(run_ids)))
            .group_by(c.run_id, c.key)
            .having(func.sum(c.points) > 1)
        ).all()
    return {str(key) for (key,) in rows}
