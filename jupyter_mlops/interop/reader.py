"""Reading an MLflow store's runs a page at a time, with every metric point.

Through MLflow's client for any store (``search_runs`` pages, each metric's history); when
the client reads a database (SQLite, PostgreSQL, ...) its tables are read directly in a few
queries per page instead: MLflow's ORM builds an object per row, which is most of the time
an import takes. Deleted runs are read too.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from jupyter_mlops.store.mlflow_api import DatasetInput

#: (key, step, value, timestamp in seconds) points.
Points = list[tuple[str, int, float, float]]


@dataclass
class SourceRun:
    """One MLflow run as the import needs it."""

    run_id: str
    name: str | None
    user_id: str | None
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metric_keys: list[str] = field(default_factory=list)
    inputs: list[DatasetInput] = field(default_factory=list)


def _engine(client: Any) -> Any:
    store = getattr(getattr(client, "_tracking_client", None), "store", None)
    return getattr(store, "engine", None)


def count_runs(client: Any, experiment_ids: list[str]) -> int | None:
    """How many runs the experiments hold (deleted ones too), None when only the client reads."""
    engine = _engine(client)
    if engine is None or not experiment_ids:
        return None if engine is None else 0
    # start-up: MLflow's table definitions, loaded with its database store already.
    from mlflow.store.tracking.dbmodels.models import SqlRun
    from sqlalchemy import func, select

    r = SqlRun.__table__.c
    ids = [int(i) for i in experiment_ids]
    with engine.connect() as conn:
        stmt = select(func.count()).where(r.experiment_id.in_(ids))
        return int(conn.execute(stmt).scalar() or 0)


def pages(client: Any, experiment_id: str, size: int) -> Iterator[list[SourceRun]]:
    """The experiment's runs, oldest first, ``size`` at a time."""
    engine = _engine(client)
    if engine is not None:
        yield from _sql_pages(engine, experiment_id, size)
    else:
        yield from _client_pages(client, experiment_id, size)


def histories(client: Any, runs: list[SourceRun]) -> dict[str, Points]:
    """Every metric point of ``runs``: run id -> points."""
    if not runs:
        return {}
    engine = _engine(client)
    if engine is not None:
        return _sql_points(engine, [r.run_id for r in runs])
    out: dict[str, Points] = {r.run_id: [] for r in runs}
    for run in runs:
        for key in run.metric_keys:
            for m in client.get_metric_history(run.run_id, key):
                out[run.run_id].append((key, int(m.step), float(m.value), m.timestamp / 1000.0))
    return out


def _client_pages(client: Any, experiment_id: str, size: int) -> Iterator[list[SourceRun]]:
    # start-up: MLflow's entities load with its client.
    from mlflow.entities import ViewType

    token: str | None = None
    while True:
        page = client.search_runs(
            [experiment_id],
            max_results=size,
            order_by=["attributes.start_time ASC"],
            run_view_type=ViewType.ALL,
            page_token=token,
        )
        if page:
            yield [_of_entity(run) for run in page]
        token = page.token
        if not token:
            return


def _of_entity(run: Any) -> SourceRun:
    info = run.info
    return SourceRun(
        run_id=str(info.run_id),
        name=info.run_name,
        user_id=info.user_id,
        status=str(info.status),
        start_time=info.start_time,
        end_time=info.end_time,
        artifact_uri=str(info.artifact_uri or ""),
        lifecycle_stage=str(info.lifecycle_stage or "active"),
        params=dict(run.data.params),
        tags=dict(run.data.tags),
        metric_keys=list(run.data.metrics),
        inputs=[_input_of_entity(i) for i in getattr(run.inputs, "dataset_inputs", None) or []],
    )


def _input_of_entity(item: Any) -> DatasetInput:
    tags = {str(tag.key): str(tag.value) for tag in item.tags or []}
    d = item.dataset
    return DatasetInput(
        name=str(d.name),
        digest=str(d.digest),
        source_type=str(d.source_type or ""),
        source=str(d.source or ""),
        schema=d.schema or None,
        profile=d.profile or None,
        tags=tags,
    )


def _sql_inputs(conn: Any, ids: list[str]) -> dict[str, list[DatasetInput]]:
    """The datasets each of the runs ``ids`` logged as inputs, from MLflow's tables."""
    # start-up: MLflow's table definitions, loaded with its database store already.
    from mlflow.store.tracking.dbmodels.models import SqlDataset, SqlInput, SqlInputTag
    from sqlalchemy import select

    d, i, it = SqlDataset.__table__.c, SqlInput.__table__.c, SqlInputTag.__table__.c
    found = conn.execute(
        select(
            i.input_uuid,
            i.destination_id,
            d.name,
            d.digest,
            d.dataset_source_type,
            d.dataset_source,
            d.dataset_schema,
            d.dataset_profile,
        )
        .join_from(SqlInput.__table__, SqlDataset.__table__, d.dataset_uuid == i.source_id)
        .where(i.destination_type == "RUN", i.source_type == "DATASET", i.destination_id.in_(ids))
    ).all()
    if not found:
        return {}
    tags: dict[str, dict[str, str]] = {}
    uuids = [str(row[0]) for row in found]
    for uuid, name, value in conn.execute(
        select(it.input_uuid, it.name, it.value).where(it.input_uuid.in_(uuids))
    ):
        tags.setdefault(str(uuid), {})[str(name)] = str(value)
    out: dict[str, list[DatasetInput]] = {}
    for uuid, run_id, name, digest, source_type, source, schema, profile in found:
        mine = tags.get(str(uuid), {})
        out.setdefault(str(run_id), []).append(
            DatasetInput(
                name=str(name),
                digest=str(digest),
                source_type=str(source_type or ""),
                source=str(source or ""),
                schema=schema or None,
                profile=profile or None,
                tags=mine,
            )
        )
    return out


def _sql_pages(engine: Any, experiment_id: str, size: int) -> Iterator[list[SourceRun]]:
    # start-up: MLflow's table definitions, loaded with its database store already.
    from mlflow.store.tracking.dbmodels.models import SqlParam, SqlRun, SqlTag
    from sqlalchemy import and_, func, or_, select

    r, p, tg = SqlRun.__table__.c, SqlParam.__table__.c, SqlTag.__table__.c
    cols = (
        r.run_uuid,
        r.name,
        r.user_id,
        r.status,
        r.start_time,
        r.end_time,
        r.artifact_uri,
        r.lifecycle_stage,
    )
    last: tuple[int, str] | None = None
    # MLflow orders a missing start time first; so does this keyset (NULL as -1).
    start = func.coalesce(r.start_time, -1)
    while True:
        stmt = select(*cols).where(r.experiment_id == int(experiment_id))
        if last is not None:
            after_start = start > last[0]
            same_start = and_(start == last[0], r.run_uuid > last[1])
            stmt = stmt.where(or_(after_start, same_start))
        stmt = stmt.order_by(start, r.run_uuid).limit(size)
        with engine.connect() as conn:
            rows = list(conn.execute(stmt))
            if not rows:
                return
            runs = {
                str(row[0]): SourceRun(
                    run_id=str(row[0]),
                    name=row[1],
                    user_id=row[2],
                    status=str(row[3]),
                    start_time=row[4],
                    end_time=row[5],
                    artifact_uri=str(row[6] or ""),
                    lifecycle_stage=str(row[7] or "active"),
                )
                for row in rows
            }
            ids = list(runs)
            for run_id, key, value in conn.execute(
                select(p.run_uuid, p.key, p.value).where(p.run_uuid.in_(ids))
            ):
                runs[str(run_id)].params[str(key)] = str(value)
            for run_id, key, value in conn.execute(
                select(tg.run_uuid, tg.key, tg.value).where(tg.run_uuid.in_(ids))
            ):
                runs[str(run_id)].tags[str(key)] = "" if value is None else str(value)
            for run_id, inputs in _sql_inputs(conn, ids).items():
                runs[run_id].inputs = inputs
        yield list(runs.values())
        last = (rows[-1][4] if rows[-1][4] is not None else -1, str(rows[-1][0]))


def _sql_points(engine: Any, ids: list[str]) -> dict[str, Points]:
    # Through the driver's own cursor and fetchall: a page holds ~100,000 points, and
    # SQLAlchemy's row objects cost more than the query.
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(engine.dialect.paramstyle)
    if mark is None:
        return _core_points(engine, ids)
    quote = engine.dialect.identifier_preparer.quote
    columns = ", ".join(
        quote(c) for c in ("run_uuid", "key", "step", "value", "timestamp", "is_nan")
    )
    marks = ", ".join([mark] * len(ids))
    # MLflow's own table and column names, quoted; the run ids go as parameters.
    sql = f"SELECT {columns} FROM metrics WHERE run_uuid IN ({marks})"  # noqa: S608
    out: dict[str, Points] = {i: [] for i in ids}
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(sql, tuple(ids))
            rows = cursor.fetchall()
        finally:
            cursor.close()
    nan = math.nan
    for run_id, key, step, value, ts, is_nan in rows:
        out[run_id].append((key, step, nan if is_nan else value, ts / 1000.0))
    for points in out.values():
        # In history order: the store's index on (run, key, step) is then filled in order.
        points.sort(key=lambda p: (p[0], p[1], p[3]))
    return out


def _core_points(engine: Any, ids: list[str]) -> dict[str, Points]:
    # start-up: MLflow's table definitions, loaded with its database store already.
    from mlflow.store.tracking.dbmodels.models import SqlMetric
    from sqlalchemy import select

    m = SqlMetric.__table__.c
    out: dict[str, Points] = {i: [] for i in ids}
    stmt = select(m.run_uuid, m.key, m.step, m.value, m.timestamp, m.is_nan).where(
        m.run_uuid.in_(ids)
    )
    with engine.connect() as conn:
        for run_id, key, step, value, ts, nan in conn.execute(stmt):
            point = (str(key), int(step), math.nan if nan else float(value), ts / 1000.0)
            out[str(run_id)].append(point)
    return out
