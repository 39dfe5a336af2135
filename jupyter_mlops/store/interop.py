"""Queries of an import from another tracking system (MLflow): what came over, and writing it.

An imported run carries its source id in a tag (``mlflow.run_id``); that tag is what a
second import looks up, so it adds nothing twice. Each page of runs is written in one
transaction: a killed import leaves whole runs or none of a run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, insert, select, tuple_, update

from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store, insert_many
from jupyter_mlops.store.metric_chunks import insert_points, read_curves
from jupyter_mlops.store.runs import (
    get_or_create_experiment,
    upsert_artifacts,
    upsert_logged_model,
)

#: The tag an imported run keeps its MLflow run id in.
SOURCE_ID_TAG = "mlflow.run_id"
#: The tag marking an imported run MLflow had deleted.
LIFECYCLE_TAG = "mlflow.lifecycle"


@dataclass
class RunWrite:
    """Everything of one imported run, written together.

    ``metrics`` are (key, step, value, timestamp in seconds) points; ``artifacts`` are
    ``artifacts`` rows without the run id.
    """

    run: dict[str, Any]
    params: dict[str, str]
    tags: dict[str, str]
    metrics: list[tuple[str, int, float, float]]
    artifacts: list[dict[str, Any]] = field(default_factory=list)


def experiment_names(store: Store) -> set[str]:
    """The names of the experiments the store has."""
    with store.read() as conn:
        return {str(n) for (n,) in conn.execute(select(t.experiments.c.name))}


def ensure_experiment(store: Store, name: str) -> int:
    """The id of experiment ``name``, created when missing."""
    with store.write() as conn:
        return get_or_create_experiment(conn, name)


def imported(store: Store, source_ids: Iterable[str]) -> dict[str, tuple[str, str | None]]:
    """Source run id -> (our run id, the state it was imported in: the ``mlflow.status`` tag,
    with ``/deleted`` after it when it came tagged ``mlflow.lifecycle=deleted``)."""
    ids = list(source_ids)
    if not ids:
        return {}
    tg = t.tags
    status = tg.alias("status_tag")
    gone = tg.alias("lifecycle_tag")
    stmt = (
        select(tg.c.value, tg.c.run_id, status.c.value, gone.c.value)
        .outerjoin(status, (status.c.run_id == tg.c.run_id) & (status.c.key == "mlflow.status"))
        .outerjoin(gone, (gone.c.run_id == tg.c.run_id) & (gone.c.key == LIFECYCLE_TAG))
        .where(tg.c.key == SOURCE_ID_TAG, tg.c.value.in_(ids))
    )
    with store.read() as conn:
        return {
            str(src): (str(run), None if st is None else st + ("/deleted" if lc else ""))
            for src, run, st, lc in conn.execute(stmt)
        }


def taken_ids(store: Store, run_ids: Iterable[str]) -> set[str]:
    """Which of ``run_ids`` are ids of runs the store has."""
    ids = list(run_ids)
    if not ids:
        return set()
    with store.read() as conn:
        return {str(i) for (i,) in conn.execute(select(t.runs.c.id).where(t.runs.c.id.in_(ids)))}


def _metric_rows(run_id: str, points: list[tuple[str, int, float, float]]) -> list[dict[str, Any]]:
    return [
        {
            "run_id": run_id,
            "key": key,
            "step": step,
            "value": None if math.isnan(value) else value,
            "is_nan": math.isnan(value),
            "timestamp": ts,
        }
        for key, step, value, ts in points
    ]


def _latest(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # MLflow's latest value: the largest (step, timestamp), the larger value on a tie.
    best: dict[str, dict[str, Any]] = {}
    for row in rows:
        value = -math.inf if row["value"] is None else row["value"]
        rank = (row["step"], row["timestamp"], value)
        prev = best.get(row["key"])
        if prev is None or rank > prev["_rank"]:
            best[row["key"]] = {**row, "_rank": rank}
    return [{k: v for k, v in row.items() if k != "_rank"} for row in best.values()]


_POINT = ["run_id", "key", "step", "value", "is_nan", "timestamp"]


def _points(run_id: str, points: list[tuple[str, int, float, float]]) -> list[tuple[Any, ...]]:
    # NaN != NaN: a NaN value is stored as NULL with is_nan set.
    return [(run_id, k, s, None if v != v else v, v != v, ts) for k, s, v, ts in points]


def _latest_points(
    run_id: str, points: list[tuple[str, int, float, float]]
) -> list[tuple[Any, ...]]:
    # MLflow's latest value: the largest (step, timestamp), the larger value on a tie.
    best: dict[str, tuple[tuple[int, float, float], tuple[str, int, float, float]]] = {}
    for point in points:
        key, step, value, ts = point
        rank = (step, ts, -math.inf if value != value else value)
        prev = best.get(key)
        if prev is None or rank > prev[0]:
            best[key] = (rank, point)
    return _points(run_id, [p for _, p in best.values()])


def write_new(store: Store, runs: list[RunWrite]) -> None:
    """Insert whole new runs (rows, params, tags, metric histories, artifacts) at once."""
    if not runs:
        return
    with store.write() as conn:
        conn.execute(insert(t.runs), [r.run for r in runs])
        for table, pick in ((t.params, "params"), (t.tags, "tags")):
            pairs = [(r.run["id"], k, v) for r in runs for k, v in getattr(r, pick).items()]
            insert_many(conn, table, ["run_id", "key", "value"], pairs)
        insert_points(conn, [(r.run["id"], r.metrics) for r in runs])
        latest = [row for r in runs for row in _latest_points(r.run["id"], r.metrics)]
        insert_many(conn, t.latest_metrics, _POINT, latest)
        artifacts = [{**a, "run_id": r.run["id"]} for r in runs for a in r.artifacts]
        if artifacts:
            conn.execute(insert(t.artifacts), artifacts)


def refresh(store: Store, run_id: str, write: RunWrite) -> int:
    """Bring an imported run up to the source: its status and end, params, tags, the metric
    points and artifacts it lacks. Returns how many metric points were added."""
    run = write.run
    tg = t.tags
    with store.write() as conn:
        conn.execute(
            update(t.runs)
            .where(t.runs.c.id == run_id)
            .values(status=run["status"], end_time=run["end_time"], heartbeat=run["heartbeat"])
        )
        for table, pairs in ((t.params, write.params), (t.tags, write.tags)):
            store.insert_or_update(
                conn,
                table,
                [{"run_id": run_id, "key": k, "value": v} for k, v in pairs.items()],
                ["run_id", "key"],
                ["value"],
            )
        have = {
            (key, step, ts)
            for (_, key), curve in read_curves(conn, [run_id]).items()
            for step, ts in zip(curve.steps, curve.timestamps, strict=True)
        }
        fresh = [p for p in write.metrics if (p[0], p[1], p[3]) not in have]
        if fresh:
            insert_points(conn, [(run_id, fresh)])
            store.insert_or_update(
                conn,
                t.latest_metrics,
                _latest(_metric_rows(run_id, write.metrics)),
                ["run_id", "key"],
                ["value", "is_nan", "step", "timestamp"],
            )
        if LIFECYCLE_TAG not in write.tags:  # restored in MLflow since the last import
            conn.execute(tg.delete().where(tg.c.run_id == run_id, tg.c.key == LIFECYCLE_TAG))
        upsert_artifacts(store, conn, [{**a, "run_id": run_id} for a in write.artifacts])
    return len(fresh)


def link_parents(store: Store, links: dict[str, str]) -> int:
    """Set ``parent_id`` of imported runs (our child id -> the parent's MLflow run id) whose
    parent is in the store; returns how many were linked."""
    if not links:
        return 0
    parents = {src: ours for src, (ours, _) in imported(store, set(links.values())).items()}
    done = 0
    with store.write() as conn:
        for child, source_parent in links.items():
            parent = parents.get(source_parent)
            if parent is None:
                continue
            conn.execute(update(t.runs).where(t.runs.c.id == child).values(parent_id=parent))
            done += 1
    return done


#: The tag an imported model version keeps its MLflow ``NAME/VERSION`` in.
SOURCE_VERSION_TAG = "mlflow.model_version"


def imported_versions(store: Store) -> dict[str, int]:
    """MLflow ``NAME/VERSION`` -> our version number, for every imported model version."""
    mv, tg = t.model_versions, t.model_version_tags
    stmt = (
        select(tg.c.value, mv.c.version)
        .join(mv, mv.c.id == tg.c.version_id)
        .where(tg.c.key == SOURCE_VERSION_TAG)
    )
    with store.read() as conn:
        return {str(src): int(v) for src, v in conn.execute(stmt)}


def add_logged_model(store: Store, row: dict[str, Any]) -> None:
    """Record a model file of an imported run as one of its logged models."""
    with store.write() as conn:
        upsert_logged_model(store, conn, row)


# -- export: reading this store's runs in pages ---------------------------------------------


@dataclass
class RunRead:
    """One run of this store as an export writes it elsewhere."""

    run: dict[str, Any]
    params: dict[str, str]
    tags: dict[str, str]
    #: (key, step, value, timestamp in seconds) points, in the order they were logged.
    metrics: list[tuple[str, int, float, float]]
    #: (path, digest) of each file.
    artifacts: list[tuple[str, str]]


def experiments_by_name(store: Store) -> dict[str, int]:
    """Experiment name -> id, for every experiment the store has."""
    e = t.experiments
    with store.read() as conn:
        return {str(n): int(i) for n, i in conn.execute(select(e.c.name, e.c.id))}


def run_pages(store: Store, experiment_id: int, size: int) -> Iterator[list[RunRead]]:
    """The runs of one experiment, oldest first, ``size`` at a time (each page one read)."""
    r = t.runs
    last: tuple[float, str] | None = None
    while True:
        stmt = (
            select(r)
            .where(r.c.experiment_id == experiment_id)
            .order_by(r.c.start_time, r.c.id)
            .limit(size)
        )
        if last is not None:
            stmt = stmt.where(tuple_(r.c.start_time, r.c.id) > tuple_(*last))
        with store.read() as conn:
            rows = [dict(row._mapping) for row in conn.execute(stmt)]
            if not rows:
                return
            yield _details(conn, rows)
        last = (rows[-1]["start_time"], rows[-1]["id"])


def _details(conn: Connection, rows: list[dict[str, Any]]) -> list[RunRead]:
    ids = [row["id"] for row in rows]
    out = {row["id"]: RunRead(row, {}, {}, [], []) for row in rows}
    for rid, key, value in conn.execute(
        select(t.params.c.run_id, t.params.c.key, t.params.c.value).where(
            t.params.c.run_id.in_(ids)
        )
    ):
        out[rid].params[key] = value
    for rid, key, value in conn.execute(
        select(t.tags.c.run_id, t.tags.c.key, t.tags.c.value).where(t.tags.c.run_id.in_(ids))
    ):
        out[rid].tags[key] = value
    for (rid, key), curve in read_curves(conn, ids).items():
        out[rid].metrics += [
            (key, step, value, ts)
            for step, value, ts in zip(curve.steps, curve.values, curve.timestamps, strict=True)
        ]
    a = t.artifacts
    for rid, path, digest in conn.execute(
        select(a.c.run_id, a.c.path, a.c.digest).where(a.c.run_id.in_(ids)).order_by(a.c.path)
    ):
        out[rid].artifacts.append((str(path), str(digest)))
    return [out[i] for i in ids]


def count_runs(store: Store, experiment_ids: list[int]) -> int:
    """How many runs the experiments hold."""
    if not experiment_ids:
        return 0
    r = t.runs
    with store.read() as conn:
        stmt = select(func.count()).select_from(r).where(r.c.experiment_id.in_(experiment_ids))
        return int(conn.execute(stmt).scalar() or 0)


# -- the import lock: one import into a store at a time ------------------------------------


def claim(store: Store, key: str, value: str, free: Callable[[str], bool]) -> str | None:
    """Hold ``store_meta[key]`` with ``value``: None when it is ours now, else the value of
    the claim that stands. ``free(theirs)`` says whether an existing claim may be taken over
    (its holder is gone).
    The check and the write are one transaction: of two at once, one wins.
    """
    meta = t.store_meta
    with store.write() as conn:
        theirs = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
        if theirs is not None and not free(str(theirs)):
            return str(theirs)
        if theirs is None:
            conn.execute(insert(meta).values(key=key, value=value))
        else:
            conn.execute(update(meta).where(meta.c.key == key).values(value=value))
    return None


def refresh_claim(store: Store, key: str, old: str, new: str) -> None:
    """Replace our claim ``old`` by ``new`` (a heartbeat), if it is still ours."""
    meta = t.store_meta
    with store.write() as conn:
        conn.execute(update(meta).where(meta.c.key == key, meta.c.value == old).values(value=new))


def release(store: Store, key: str, value: str) -> None:
    """Drop our claim on ``key`` (another's, taken over meanwhile, stays)."""
    meta = t.store_meta
    with store.write() as conn:
        conn.execute(meta.delete().where(meta.c.key == key, meta.c.value == value))
