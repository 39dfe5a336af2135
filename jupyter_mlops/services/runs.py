"""Runs: a searched page with its total, the keys runs have, one run in full, a metric's points.

Every face asks these functions: the REST API sends their records, the CLI prints them
(``--format json`` is the same JSON), the magics and panels render them.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from jupyter_mlops.errors import MlopsError
from jupyter_mlops.models.card import dataset_links
from jupyter_mlops.services.paths import in_root
from jupyter_mlops.services.schema import (
    API_BASE,
    ArtifactInfo,
    CellInfo,
    CellStatus,
    LoggedModelInfo,
    MetricHistory,
    MetricPointInfo,
    RunDatasetLink,
    RunDetail,
    RunInputInfo,
    RunKeys,
    RunKeysQuery,
    RunLifecycleChange,
    RunPage,
    RunQuery,
    RunRefs,
    RunStatus,
    RunSummary,
)
from jupyter_mlops.store import Store
from jupyter_mlops.store.metric_history import metric_history
from jupyter_mlops.store.run_groups import child_counts
from jupyter_mlops.store.run_lifecycle import set_deleted
from jupyter_mlops.store.runs import child_run_ids, load_run, resolve
from jupyter_mlops.store.search import count_runs, find_runs, run_keys, search_runs

if TYPE_CHECKING:
    import pandas as pd


def artifact_url(digest: str, filename: str | None = None) -> str:
    """The API path (below the server's base URL) that downloads object ``digest``."""
    url = f"{API_BASE}/artifacts/{digest}"
    if filename:
        url += f"?filename={quote(Path(filename).name)}"
    return url


def order_keys(query: RunQuery) -> list[str]:
    """The query's sort keys, each item split at commas (``"metrics.auc desc, name"``)."""
    return [key.strip() for item in query.order_by for key in item.split(",") if key.strip()]


def _limit(query: RunQuery) -> int | None:
    return query.limit or None


def search(store: Store, query: RunQuery) -> RunPage:
    """One page of the runs matching ``query.filter``, in ``query.order_by``, with the total.

    Raises:
        FilterSyntaxError: a filter or sort key that does not parse.
        NotFoundError: an unknown experiment.
    """
    experiments = query.experiment or None
    found = find_runs(
        store,
        query.filter or None,
        experiments=experiments,
        roots_only=query.roots_only,
        order_by=order_keys(query),
        limit=_limit(query),
        offset=query.offset,
        lifecycle=query.lifecycle,
    )
    items = [_summary(row) for row in found.rows]
    for cells, group in ((found.params, "params"), (found.tags, "tags")):
        for i, key, value in cells:
            getattr(items[i], group)[str(key)] = str(value)
    for i, key, value in found.metrics:
        # The latest value of a metric logged as NaN is stored as NULL.
        items[i].metrics[str(key)] = float("nan") if value is None else float(value)
    for item in items:
        item.params = dict(sorted(item.params.items()))
        item.metrics = dict(sorted(item.metrics.items()))
        item.tags = dict(sorted(item.tags.items()))
    counts = child_counts(store, [item.run_id for item in items], lifecycle=query.lifecycle)
    for item in items:
        item.children = counts.get(item.run_id, 0)
    total = len(items) + query.offset
    if (query.limit and len(items) == query.limit) or (query.offset and not items):
        total = count_runs(
            store,
            query.filter or None,
            experiments=experiments,
            lifecycle=query.lifecycle,
            roots_only=query.roots_only,
        )
    return RunPage(items=items, total=total, limit=query.limit, offset=query.offset)


def _summary(row: Any) -> RunSummary:
    run_id, name, experiment, status, start, end, user, parent, deleted = row
    return RunSummary(
        run_id=run_id,
        short_id=run_id[:8],
        name=name,
        experiment=experiment,
        status=status,
        start_time=start,
        end_time=end,
        duration=None if end is None else end - start,
        user=user,
        parent_id=parent,
        params={},
        metrics={},
        tags={},
        deleted_at=deleted,
    )


def frame(store: Store, query: RunQuery) -> pd.DataFrame:
    """The runs of ``query`` as ``mlops.search_runs`` gives them: one DataFrame row per run."""
    return search_runs(
        store,
        query.filter or None,
        experiments=query.experiment or None,
        order_by=order_keys(query),
        limit=_limit(query),
        offset=query.offset,
        lifecycle=query.lifecycle,
    )


def keys(store: Store, query: RunKeysQuery) -> RunKeys:
    """The param, metric and tag keys runs (of ``query.experiment``) have, in code-point order.

    Raises:
        NotFoundError: an unknown experiment.
    """
    params, metrics, tags = run_keys(store, experiments=query.experiment or None)
    return RunKeys(params=params, metrics=metrics, tags=tags)


def detail(store: Store, ref: str, *, root: Path) -> RunDetail:
    """Everything about run ``ref`` (an id or a unique prefix).

    Raises:
        NotFoundError: no run has that id.
    """
    run = load_run(store, ref)
    return RunDetail(
        run_id=run.id,
        short_id=run.short_id,
        name=run.name,
        experiment=run.experiment,
        status=cast(RunStatus, run.status),
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
        metrics=dict(sorted(run.metrics.items())),
        tags=dict(sorted(run.tags.items())),
        artifacts=[
            ArtifactInfo(
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
            LoggedModelInfo(
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
            RunInputInfo(
                role=i.role, kind=i.kind, source=i.source, digest=i.digest, size=i.size, info=i.info
            )
            for i in run.inputs
        ],
        cells=[
            CellInfo(
                seq=c.seq,
                execution_count=c.execution_count,
                source=c.source,
                started=c.started,
                duration=c.duration,
                status=cast(CellStatus, c.status),
                error=c.error,
            )
            for c in run.cells
        ],
        children=child_run_ids(store, run.id),
        deleted_at=run.deleted_at,
    )


def delete(store: Store, request: RunRefs) -> RunLifecycleChange:
    """Soft-delete runs: they leave searches and lists but keep every record until restored,
    or purged by ``gc`` once deleted longer than the retention period.

    Raises:
        NotFoundError: a run that does not exist (then nothing is deleted).
    """
    changed, unchanged = set_deleted(store, request.runs, at=time.time())
    return RunLifecycleChange(changed=changed, unchanged=unchanged)


def restore(store: Store, request: RunRefs) -> RunLifecycleChange:
    """Bring soft-deleted runs back into searches and lists.

    Raises:
        NotFoundError: a run that does not exist (then nothing is restored).
    """
    changed, unchanged = set_deleted(store, request.runs, at=None)
    return RunLifecycleChange(changed=changed, unchanged=unchanged)


def metric_points(store: Store, ref: str, key: str) -> MetricHistory:
    """Every logged point of metric ``key`` of run ``ref``, by step.

    Raises:
        NotFoundError: no run has that id.
    """
    run_id = resolve(store, ref)
    points = metric_history(store, run_id, key)
    return MetricHistory(
        run_id=run_id,
        key=key,
        points=[MetricPointInfo(step=p.step, value=p.value, timestamp=p.timestamp) for p in points],
    )


def datasets(store: Store, ref: str) -> list[RunDatasetLink]:
    """The dataset versions run ``ref`` read or wrote, by direction, role and name.

    Raises:
        NotFoundError: no run has that id.
    """
    run_id = resolve(store, ref)
    with store.read() as conn:
        links = dataset_links(conn, run_id)
    return [RunDatasetLink.model_validate(link) for link in links]


def figures(store: Store, run: RunDetail, *, max_bytes: int) -> dict[str, bytes]:
    """The PNG and JPEG artifacts of ``run`` up to ``max_bytes`` each, by path.

    An object missing from the artifact store (or corrupt) is left out: it is still listed
    among the run's artifacts.
    """
    found: dict[str, bytes] = {}
    for art in run.artifacts:
        if art.media_type in ("image/png", "image/jpeg") and art.size <= max_bytes:
            with contextlib.suppress(OSError, MlopsError):
                found[art.path] = store.objects.read_bytes(art.digest)
    return found
