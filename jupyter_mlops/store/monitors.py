"""What monitors read and write: their runs (found by a tag), those runs' metrics and tags.

A monitor is not a table: its runs carry the tag ``mlops.monitor=NAME`` (the monitor package
names the keys), and a schedule may define one (:mod:`jupyter_mlops.store.schedules`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store
from jupyter_mlops.store.runs import write_batch


@dataclass(frozen=True)
class MonitorRunRow:
    """A run of a monitor: when it started, how it ended, and the tags asked for."""

    run_id: str
    start_time: float
    status: str
    tags: dict[str, str]


def tag_values(store: Store, key: str) -> list[str]:
    """Every value tag ``key`` has on some run."""
    with store.read() as conn:
        rows = conn.execute(select(t.tags.c.value).where(t.tags.c.key == key).distinct()).all()
    return [str(r[0]) for r in rows]


def tagged_runs(store: Store, key: str, value: str) -> list[str]:
    """The ids of the runs tagged ``key=value``."""
    with store.read() as conn:
        rows = conn.execute(
            select(t.tags.c.run_id).where(t.tags.c.key == key, t.tags.c.value == value)
        ).all()
    return [str(r[0]) for r in rows]


def monitor_runs(store: Store, ids: Iterable[str], tag_keys: Iterable[str]) -> list[MonitorRunRow]:
    """The runs ``ids`` (those that exist) with their tags among ``tag_keys``, by start."""
    wanted = list(dict.fromkeys(ids))
    keys = list(tag_keys)
    with store.read() as conn:
        rows = conn.execute(
            select(t.runs.c.id, t.runs.c.start_time, t.runs.c.status)
            .where(t.runs.c.id.in_(wanted))
            .order_by(t.runs.c.start_time, t.runs.c.id)
        ).all()
        tags: dict[str, dict[str, str]] = {}
        if keys and rows:
            for run_id, key, value in conn.execute(
                select(t.tags.c.run_id, t.tags.c.key, t.tags.c.value).where(
                    t.tags.c.run_id.in_(wanted), t.tags.c.key.in_(keys)
                )
            ):
                tags.setdefault(str(run_id), {})[str(key)] = str(value)
    return [
        MonitorRunRow(str(r.id), float(r.start_time), str(r.status), tags.get(str(r.id), {}))
        for r in rows
    ]


def run_metrics(store: Store, run_id: str) -> dict[str, float]:
    """The latest metrics of a run and of its child runs (children win on a clash)."""
    with store.read() as conn:
        ids = [run_id] + [
            str(r[0])
            for r in conn.execute(
                select(t.runs.c.id)
                .where(t.runs.c.parent_id == run_id)
                .order_by(t.runs.c.start_time)
            )
        ]
        metrics: dict[str, float] = {}
        for rid in ids:
            for key, value, is_nan in conn.execute(
                select(
                    t.latest_metrics.c.key, t.latest_metrics.c.value, t.latest_metrics.c.is_nan
                ).where(t.latest_metrics.c.run_id == rid)
            ):
                metrics[str(key)] = math.nan if is_nan else float(value)
    return metrics


def set_tags(store: Store, run_id: str, tags: dict[str, str]) -> None:
    """Set tags of a run that has ended (a live run writes its own through its buffer)."""
    with store.write() as conn:
        write_batch(store, conn, run_id, params={}, tags=tags, metrics=[])
