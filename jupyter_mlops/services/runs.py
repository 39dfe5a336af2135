"""Runs for the REST API: a searched page with its total, one run's detail, a metric's history."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sqlalchemy import select

from jupyter_mlops.services import schema
from jupyter_mlops.services.paths import in_root
from jupyter_mlops.store import Store
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.runs import load_run, metric_history, reap_stale_runs, resolve_run_id
from jupyter_mlops.store.search import count_runs, search_runs

_GROUPS = ("params.", "metrics.", "tags.")


def number(value: float | None) -> float | None:
    """A float for JSON: NaN and infinities become None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def artifact_url(digest: str, filename: str | None = None) -> str:
    """The API path (below the server's base URL) that downloads object ``digest``."""
    url = f"{schema.API_BASE}/artifacts/{digest}"
    if filename:
        from urllib.parse import quote

        url += f"?filename={quote(Path(filename).name)}"
    return url


def _orders(order: str) -> list[str]:
    return [item.strip() for item in order.split(",") if item.strip()]


def search_page(store: Store, query: schema.RunQuery) -> schema.RunPage:
    """One page of the runs matching ``query.filter``, in ``query.order``, with the total.

    Raises:
        FilterSyntaxError: a filter or order that does not parse.
        NotFoundError: an unknown experiment.
    """
    # A run whose kernel died shows as killed, not running forever (as in mlops.search_runs).
    reap_stale_runs(store)
    experiments = query.experiment or None
    frame = search_runs(
        store,
        query.filter or None,
        experiments=experiments,
        order_by=_orders(query.order),
        limit=query.limit,
        offset=query.offset,
    )
    total = count_runs(store, query.filter or None, experiments=experiments)
    columns = list(frame.columns)
    grouped = {prefix: [c for c in columns if c.startswith(prefix)] for prefix in _GROUPS}
    items: list[schema.RunSummary] = []
    for row in frame.to_dict("records"):
        items.append(
            schema.RunSummary(
                run_id=row["run_id"],
                short_id=row["short_id"],
                name=row["name"],
                experiment=row["experiment"],
                status=row["status"],
                start_time=row["start_time"].timestamp(),
                end_time=_time(row["end_time"]),
                duration=number(row["duration"]),
                user=_text(row["user"]),
                parent_id=_text(row["parent_id"]),
                params=_texts(row, grouped["params."]),
                metrics={
                    c.removeprefix("metrics."): number(row[c])
                    for c in grouped["metrics."]
                    if not _absent_metric(row, c)
                },
                tags=_texts(row, grouped["tags."]),
            )
        )
    return schema.RunPage(items=items, total=total, limit=query.limit, offset=query.offset)


def _absent_metric(row: dict[Any, Any], column: str) -> bool:
    # The frame holds NaN both for "not logged" and for a logged NaN; both read as absent.
    value = row[column]
    return value is None or (isinstance(value, float) and math.isnan(value))


def _time(value: Any) -> float | None:
    if value is None:
        return None
    try:
        if value != value:  # NaT
            return None
    except TypeError:
        return None
    return float(value.timestamp())


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    return None if text in ("nan", "None", "<NA>") and not isinstance(value, str) else text


def _texts(row: dict[Any, Any], columns: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for column in columns:
        value = _text(row[column])
        if value is not None:
            out[column.split(".", 1)[1]] = value
    return out


def run_detail(store: Store, ref: str, *, root: Path) -> schema.RunDetail:
    """Everything about run ``ref`` (an id or a unique prefix).

    Raises:
        NotFoundError: no run has that id.
    """
    run = load_run(store, ref)
    with store.read() as conn:
        children = [
            str(r[0])
            for r in conn.execute(
                select(t.runs.c.id)
                .where(t.runs.c.parent_id == run.id)
                .order_by(t.runs.c.start_time, t.runs.c.id)
            )
        ]
    return schema.RunDetail(
        run_id=run.id,
        short_id=run.short_id,
        name=run.name,
        experiment=run.experiment,
        status=run.status,
        start_time=run.start_time,
        end_time=run.end_time,
        duration=run.duration,
        heartbeat=run.heartbeat,
        user=run.user,
        host=run.host,
        parent_id=run.parent_id,
        notebook_path=run.notebook_path,
        notebook_in_root=in_root(root, run.notebook_path),
        notebook_digest=run.notebook_digest,
        git_commit=run.git_commit,
        git_branch=run.git_branch,
        git_dirty=run.git_dirty,
        environment=run.environment,
        error=run.error,
        # Keys and paths in code-point order on every backend (JSON objects keep their order,
        # and PostgreSQL returns rows unordered or by the server's locale).
        params=dict(sorted(run.params.items())),
        metrics={k: number(v) for k, v in sorted(run.metrics.items())},
        tags=dict(sorted(run.tags.items())),
        artifacts=[
            schema.ArtifactInfo(
                path=a.path,
                digest=a.digest,
                size=a.size,
                media_type=a.media_type,
                kind=a.kind,
                url=artifact_url(a.digest, a.path),
            )
            for a in sorted(run.artifacts, key=lambda a: a.path)
        ],
        models=[
            schema.LoggedModelInfo(
                name=m.name,
                digest=m.digest,
                size=m.size,
                flavor=m.flavor,
                format=m.format,
                class_name=m.class_name,
                signature=m.signature,
            )
            for m in run.models
        ],
        inputs=[
            schema.RunInputInfo(
                role=i.role, kind=i.kind, source=i.source, digest=i.digest, size=i.size, info=i.info
            )
            for i in run.inputs
        ],
        cells=[
            schema.CellInfo(
                seq=c.seq,
                execution_count=c.execution_count,
                source=c.source,
                started=c.started,
                duration=c.duration,
                status=c.status,
                error=c.error,
            )
            for c in run.cells
        ],
        children=children,
    )


def metric_points(store: Store, ref: str, key: str) -> schema.MetricHistory:
    """Every logged point of metric ``key`` of run ``ref``, by step.

    Raises:
        NotFoundError: no run has that id.
    """
    with store.read() as conn:
        run_id = resolve_run_id(conn, ref)
    points = metric_history(store, run_id, key)
    return schema.MetricHistory(
        run_id=run_id,
        key=key,
        points=[
            schema.MetricPointInfo(step=p.step, value=number(p.value), timestamp=p.timestamp)
            for p in points
        ],
    )
