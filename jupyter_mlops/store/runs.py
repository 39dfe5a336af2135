"""Reading and writing runs and everything hanging off them."""

from __future__ import annotations

import json
import math
import os
import socket
import time
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from jupyter_mlops.errors import MlopsUsageError, NotFoundError, ReadOnlyStoreError
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store, dialect_insert
from jupyter_mlops.store.metric_chunks import compact, insert_points
from jupyter_mlops.store.records import (
    ArtifactRecord,
    CellRecord,
    InputRecord,
    ModelRecord,
    RunHead,
    RunRecord,
    loads_json,
)

TERMINAL = ("finished", "failed", "killed")
HOST = socket.gethostname()


def get_or_create_experiment(conn: Connection, name: str) -> int:
    """Return the id of experiment ``name``, creating it if needed."""
    find = select(t.experiments.c.id).where(t.experiments.c.name == name)
    row = conn.execute(find).first()
    if row is not None:
        return int(row[0])
    # Another process may create the same experiment meanwhile (PostgreSQL writers do not
    # serialise like SQLite's): insert if absent, then read whichever row won.
    conn.execute(
        dialect_insert(conn.dialect.name)(t.experiments)
        .values(name=name, created_at=time.time())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return int(conn.execute(find).scalar_one())


def insert_run(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(t.runs).values(**values))


def set_status(
    conn: Connection, run_id: str, status: str, *, end_time: float | None, error: str | None
) -> None:
    """Set run ``run_id``'s status; a run that ends has its histories compacted."""
    conn.execute(
        update(t.runs)
        .where(t.runs.c.id == run_id)
        .values(status=status, end_time=end_time, error=error, heartbeat=time.time())
    )
    if status in TERMINAL:
        compact(conn, run_id)


def set_environment(conn: Connection, run_id: str, values: dict[str, Any]) -> None:
    """Store a run's environment snapshot (the ``environment`` and ``git_*`` columns)."""
    conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(**values))


def upsert_artifacts(store: Store, conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert artifact rows, replacing a run's artifact of the same path."""
    store.insert_or_update(
        conn,
        t.artifacts,
        rows,
        ["run_id", "path"],
        ["digest", "size", "media_type", "kind", "created_at"],
    )


def upsert_logged_model(store: Store, conn: Connection, row: dict[str, Any]) -> None:
    """Insert a logged model row, replacing a run's model of the same name."""
    store.insert_or_update(
        conn,
        t.logged_models,
        [row],
        ["run_id", "name"],
        ["digest", "size", "flavor", "format", "class_name", "signature", "created_at"],
    )


def write_batch(
    store: Store,
    conn: Connection,
    run_id: str,
    *,
    params: dict[str, str],
    tags: dict[str, str],
    metrics: list[tuple[str, int, float, float]],
    cells: list[dict[str, Any]] | None = None,
    inputs: list[dict[str, Any]] | None = None,
) -> None:
    """Write buffered params, tags, metric points, cells and inputs of one run in one
    transaction (``cells`` and ``inputs`` as ``run_cells`` and ``run_inputs`` rows)."""
    if cells:
        conn.execute(insert(t.run_cells), cells)
    if inputs:
        conn.execute(insert(t.run_inputs), inputs)
    store.insert_or_update(
        conn,
        t.params,
        [{"run_id": run_id, "key": k, "value": v} for k, v in params.items()],
        ["run_id", "key"],
        ["value"],
    )
    store.insert_or_update(
        conn,
        t.tags,
        [{"run_id": run_id, "key": k, "value": v} for k, v in tags.items()],
        ["run_id", "key"],
        ["value"],
    )
    if not metrics:
        return
    insert_points(conn, [(run_id, metrics)])
    # MLflow's latest value: the largest (step, timestamp), then the larger value (a NaN
    # counts as smallest); among equal points the last logged. Steps mostly differ: the
    # full comparison is only for points of the same step.
    latest: dict[str, tuple[str, int, float, float]] = {}
    for point in metrics:
        prev = latest.get(point[0])
        if (
            prev is None
            or point[1] > prev[1]
            or (point[1] == prev[1] and _rank(point) >= _rank(prev))
        ):
            latest[point[0]] = point
    # A NaN is stored as NULL with is_nan set (SQLite keeps no NaN REAL).
    conn.execute(
        _latest_upsert(store.dialect),
        [
            dict(
                zip(
                    _POINT,
                    (run_id, key, step, None if value != value else value, value != value, ts),
                    strict=True,
                )
            )
            for key, step, value, ts in latest.values()
        ],
    )


#: A latest metric's columns, in the order :func:`write_batch` builds them.
_POINT = ["run_id", "key", "step", "value", "is_nan", "timestamp"]
_LATEST_UPSERT: dict[str, Any] = {}


def _latest_upsert(dialect: str) -> Any:
    """The upsert of ``latest_metrics`` that keeps the later point, built once per dialect
    (building it on every batch cost more than running it)."""
    stmt = _LATEST_UPSERT.get(dialect)
    if stmt is None:
        table = t.latest_metrics
        insert_ = dialect_insert(dialect)(table)
        new = insert_.excluded
        stmt = _LATEST_UPSERT[dialect] = insert_.on_conflict_do_update(
            index_elements=["run_id", "key"],
            set_={col: new[col] for col in ("value", "is_nan", "step", "timestamp")},
            where=or_(
                table.c.step < new.step,
                and_(table.c.step == new.step, table.c.timestamp < new.timestamp),
                and_(
                    table.c.step == new.step,
                    table.c.timestamp == new.timestamp,
                    # A NaN (NULL) stored is beaten by anything; a new NaN beats only a NaN.
                    or_(table.c.value.is_(None), new.value >= table.c.value),
                ),
            ),
        )
    return stmt


def _rank(point: tuple[str, int, float, float]) -> tuple[Any, ...]:
    """(step, timestamp, value) of a point ``(key, step, value, timestamp)``, a NaN's value
    the smallest."""
    value = point[2]
    return (point[1], point[3], -math.inf if value != value else value)


def insert_finished_runs(
    conn: Connection,
    runs: list[dict[str, Any]],
    params: list[tuple[str, str, str]],
    metrics: list[tuple[str, str, float, float]],
) -> None:
    """Insert new, already finished runs with their params and one value per metric, in a few
    statements whatever their number (a search's candidates as child runs).

    ``params`` are ``(run_id, key, value)``; ``metrics`` ``(run_id, key, value, timestamp)``,
    each stored at step 0.
    """
    if runs:
        conn.execute(insert(t.runs), runs)
    if params:
        conn.execute(insert(t.params), [{"run_id": r, "key": k, "value": v} for r, k, v in params])
    if not metrics:
        return
    rows: list[dict[str, Any]] = [
        {
            "run_id": run_id,
            "key": key,
            "step": 0,
            "value": None if math.isnan(value) else value,
            "is_nan": math.isnan(value),
            "timestamp": ts,
        }
        for run_id, key, value, ts in metrics
    ]
    insert_points(conn, [(r, [(k, 0, v, ts)]) for r, k, v, ts in metrics])
    conn.execute(insert(t.latest_metrics), rows)


def heartbeat(conn: Connection, run_ids: Iterable[str]) -> None:
    ids = list(run_ids)
    if ids:
        conn.execute(
            update(t.runs)
            .where(t.runs.c.id.in_(ids), t.runs.c.status == "running")
            .values(heartbeat=time.time())
        )


def resolve_run_id(conn: Connection, ref: str) -> str:
    """Resolve a full id, a unique id prefix (4+ characters) or a unique run name."""
    if ref is not None and not isinstance(ref, str):
        raise MlopsUsageError(f"A run is given by its id, short id or name (text), not {ref!r}.")
    ref = (ref or "").strip()
    if not ref:
        raise MlopsUsageError("Give a run id, short id or name.")
    row = conn.execute(select(t.runs.c.id).where(t.runs.c.id == ref)).first()
    if row is not None:
        return str(row[0])
    matches: list[str] = []
    if len(ref) >= 4 and all(c in "0123456789abcdef" for c in ref.lower()):
        pattern = ref.lower().replace("%", "").replace("_", "") + "%"
        matches = [
            str(r[0])
            for r in conn.execute(select(t.runs.c.id).where(t.runs.c.id.like(pattern)).limit(3))
        ]
    if not matches:
        matches = [
            str(r[0])
            for r in conn.execute(
                select(t.runs.c.id)
                .where(t.runs.c.name == ref)
                .order_by(t.runs.c.start_time.desc())
                .limit(1)
            )
        ]
    if not matches:
        raise NotFoundError(
            f"No run {ref!r}: use a run id, a short id of 4+ characters or a run name "
            "(`jupyter-mlops runs` lists them).",
            ref=ref,
        )
    if len(matches) > 1:
        raise MlopsUsageError(f"Run id prefix {ref!r} is ambiguous; give more characters.")
    return matches[0]


def pid_alive(pid: int) -> bool:
    """Whether a process with ``pid`` runs on this host (a zombie does not: it has exited)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    # os.kill(pid, 0) succeeds on a process that exited but was not reaped by its parent
    # (a zombie); /proc says so where there is one (Linux), the third field being "Z".
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            text = stat_file.read()
    except OSError:
        return False
    # The command name is in parentheses and may itself hold spaces or parentheses.
    fields = text[text.rfind(b")") + 2 :].split()
    return bool(fields) and fields[0] in (b"Z", b"X")


#: Why a run found dead is ``killed``.
KILLED_ERROR = (
    "The process running this run stopped without ending it "
    "(killed kernel or process); last heartbeat kept as the end time."
)


def reap_stale_runs(store: Store, *, force: bool = False) -> list[str]:
    """Mark runs whose process died (same host) or whose heartbeat stopped as ``killed``.

    Reads call this first. When the store cannot be written (read-only, a full disk) the
    write is skipped: the runs are remembered in ``store.unrecorded_kills``, every read
    shows them killed (:func:`shown_status`), and the next reap tries to record it again.
    """
    now = time.time()
    if not force and now - store._reaped_at < 2.0:
        return []
    store._reaped_at = now
    with store.read() as conn:
        rows = conn.execute(
            select(t.runs.c.id, t.runs.c.host, t.runs.c.pid, t.runs.c.heartbeat).where(
                t.runs.c.status == "running"
            )
        ).all()
    dead = [
        (str(run_id), float(beat))
        for run_id, host, pid, beat in rows
        if (host == HOST and pid is not None and not pid_alive(int(pid)))
        or beat < now - store.stale_after
    ]
    store.unrecorded_kills = {}
    if not dead:
        return []
    try:
        with store.write() as conn:
            for run_id, beat in dead:
                conn.execute(
                    update(t.runs)
                    .where(t.runs.c.id == run_id, t.runs.c.status == "running")
                    .values(status="killed", end_time=beat, error=KILLED_ERROR)
                )
    except ReadOnlyStoreError:
        # A read must not fail because this bookkeeping cannot be written.
        store.unrecorded_kills = dict(dead)
    return [run_id for run_id, _ in dead]


def shown_status(store: Store, run_id: str, status: str) -> str:
    """The status to show for a run: ``killed`` for a dead run that could not be marked."""
    return "killed" if status == "running" and run_id in store.unrecorded_kills else status


def shown_row(store: Store, row: Sequence[Any]) -> Sequence[Any]:
    """A search row ``(id, name, experiment, status, start, end, ...)`` as shown: killed and
    ended at its last heartbeat when it died unrecorded."""
    status = shown_status(store, str(row[0]), str(row[3]))
    if status == row[3]:
        return row
    return (*row[:3], status, row[4], store.unrecorded_kills[str(row[0])], *row[6:])


def run_head(store: Store, run_id: str) -> RunHead | None:
    """The run ``run_id`` (a full id) without what hangs off it, or None."""
    with store.read() as conn:
        row = conn.execute(
            select(
                t.runs.c.id,
                t.runs.c.name,
                t.experiments.c.name.label("experiment"),
                t.runs.c.status,
                t.runs.c.start_time,
                t.runs.c.parent_id,
            )
            .join(t.experiments, t.experiments.c.id == t.runs.c.experiment_id)
            .where(t.runs.c.id == run_id)
        ).first()
    if row is None:
        return None
    return RunHead(
        str(row.id),
        str(row.name),
        str(row.experiment),
        shown_status(store, str(row.id), str(row.status)),
        float(row.start_time),
        row.parent_id,
    )


def load_run(store: Store, ref: str) -> RunRecord:
    """Read one run and everything attached to it."""
    reap_stale_runs(store)
    with store.read() as conn:
        run_id = resolve_run_id(conn, ref)
        row = conn.execute(
            select(t.runs, t.experiments.c.name.label("experiment"))
            .join(t.experiments, t.experiments.c.id == t.runs.c.experiment_id)
            .where(t.runs.c.id == run_id)
        ).one()
        params = {
            str(k): str(v)
            for k, v in conn.execute(
                select(t.params.c.key, t.params.c.value).where(t.params.c.run_id == run_id)
            )
        }
        tags = {
            str(k): str(v)
            for k, v in conn.execute(
                select(t.tags.c.key, t.tags.c.value).where(t.tags.c.run_id == run_id)
            )
        }
        metrics = {
            str(k): (math.nan if nan else float(v))
            for k, v, nan in conn.execute(
                select(
                    t.latest_metrics.c.key, t.latest_metrics.c.value, t.latest_metrics.c.is_nan
                ).where(t.latest_metrics.c.run_id == run_id)
            )
        }
        artifacts = [
            ArtifactRecord(r.path, r.digest, int(r.size), r.media_type, r.kind)
            for r in conn.execute(
                select(t.artifacts)
                .where(t.artifacts.c.run_id == run_id)
                .order_by(t.artifacts.c.path)
            )
        ]
        models = [
            ModelRecord(
                r.name,
                r.digest,
                int(r.size),
                r.flavor,
                r.format,
                r.class_name,
                json.loads(r.signature) if r.signature else None,
            )
            for r in conn.execute(
                select(t.logged_models)
                .where(t.logged_models.c.run_id == run_id)
                .order_by(t.logged_models.c.id)
            )
        ]
        inputs = [
            InputRecord(r.role, r.kind, r.source, r.digest, r.size, loads_json(r.info))
            for r in conn.execute(
                select(t.run_inputs)
                .where(t.run_inputs.c.run_id == run_id)
                .order_by(t.run_inputs.c.id)
            )
        ]
        cells = [
            CellRecord(r.seq, r.execution_count, r.source, r.started, r.duration, r.status, r.error)
            for r in conn.execute(
                select(t.run_cells)
                .where(t.run_cells.c.run_id == run_id)
                .order_by(t.run_cells.c.seq)
            )
        ]
    status = shown_status(store, row.id, row.status)
    unrecorded = status != row.status
    return RunRecord(
        id=row.id,
        name=row.name,
        experiment=row.experiment,
        status=status,
        start_time=row.start_time,
        end_time=row.heartbeat if unrecorded else row.end_time,
        heartbeat=row.heartbeat,
        user=row.user_name,
        host=row.host,
        pid=row.pid,
        parent_id=row.parent_id,
        notebook_path=row.notebook_path,
        notebook_digest=row.notebook_digest,
        git_commit=row.git_commit,
        git_branch=row.git_branch,
        git_dirty=row.git_dirty,
        environment=loads_json(row.environment),
        error=KILLED_ERROR if unrecorded else row.error,
        params=params,
        metrics=metrics,
        tags=tags,
        artifacts=artifacts,
        models=models,
        inputs=inputs,
        cells=cells,
        deleted_at=row.deleted_at,
    )


def resolve(store: Store, ref: str) -> str:
    """The id of run ``ref`` (an id or a unique prefix of one).

    Raises:
        NotFoundError: no run, or more than one, matches.
    """
    with store.read() as conn:
        return resolve_run_id(conn, ref)


def resolve_all(store: Store, refs: Sequence[str]) -> tuple[list[str], list[str]]:
    """The ids of the runs ``refs`` name, in order, and one line for each ref naming none.

    One transaction, the full ids looked up at once: comparing 100 runs resolved one by one
    spent more time opening transactions than finding the runs.
    """
    ids: list[str] = []
    missing: list[str] = []
    with store.read() as conn:
        exact = {str(r[0]) for r in conn.execute(select(t.runs.c.id).where(t.runs.c.id.in_(refs)))}
        for ref in refs:
            if ref in exact:
                ids.append(ref)
                continue
            try:
                ids.append(resolve_run_id(conn, ref))
            except (NotFoundError, MlopsUsageError) as exc:
                missing.append(str(exc))
    return ids, missing


def child_run_ids(store: Store, run_id: str) -> list[str]:
    """The runs whose parent is ``run_id`` (pipeline steps, search candidates), oldest first."""
    with store.read() as conn:
        return [
            str(r[0])
            for r in conn.execute(
                select(t.runs.c.id)
                .where(t.runs.c.parent_id == run_id)
                .order_by(t.runs.c.start_time, t.runs.c.id)
            )
        ]


def count_runs_by_status(store: Store) -> dict[str, int]:
    """How many runs have each status (dead runs marked killed first)."""
    reap_stale_runs(store)
    with store.read() as conn:
        counts = {
            str(status): int(n)
            for status, n in conn.execute(
                select(t.runs.c.status, func.count()).group_by(t.runs.c.status)
            )
        }
    if store.unrecorded_kills:  # dead runs that a read-only store could not mark
        moved = min(len(store.unrecorded_kills), counts.get("running", 0))
        counts["running"] = counts.get("running", 0) - moved
        counts["killed"] = counts.get("killed", 0) + moved
        counts = {status: n for status, n in counts.items() if n}
    return counts


def delete_run(store: Store, run_id: str) -> None:
    with store.write() as conn:
        for table in (
            t.params,
            t.tags,
            t.metric_chunks,
            t.latest_metrics,
            t.artifacts,
            t.logged_models,
            t.run_inputs,
            t.run_cells,
        ):
            conn.execute(delete(table).where(table.c.run_id == run_id))
        conn.execute(delete(t.runs).where(t.runs.c.id == run_id))
