"""Import an MLflow tracking store: experiments, runs, params, metric histories, tags and
artifacts, read through MLflow's own client and streamed in pages.

Imported runs keep their MLflow run id as their id when it is free, and always in the tag
``mlflow.run_id``: a second import adds nothing, a later one adds the runs that are new and
brings runs that were still going up to date. Each page of runs is written in one
transaction, so an import killed half-way leaves whole runs, and running it again finishes it.
"""

from __future__ import annotations

import math
import mimetypes
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from jupyter_mlops.interop.registry import import_registry
from jupyter_mlops.interop.source import open_client
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import interop as q

#: MLflow status -> ours. A run MLflow still calls RUNNING or SCHEDULED is not running here.
STATUSES = {
    "FINISHED": "finished",
    "FAILED": "failed",
    "KILLED": "killed",
    "RUNNING": "killed",
    "SCHEDULED": "killed",
}
PAGE = 200
_PARENT_TAG = "mlflow.parentRunId"


@dataclass
class ImportReport:
    """What an import read, wrote, merged and could not map."""

    source: str
    experiments_created: list[str] = field(default_factory=list)
    experiments_merged: list[str] = field(default_factory=list)
    runs_imported: int = 0
    runs_present: int = 0
    runs_updated: int = 0
    params: int = 0
    tags: int = 0
    metric_points: int = 0
    artifacts: int = 0
    artifact_bytes: int = 0
    parents_linked: int = 0
    model_versions: int = 0
    stages_set: int = 0
    not_mapped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ms(value: int | None) -> float | None:
    return None if value is None else value / 1000.0


def _artifacts(store: Store, info: Any, report: ImportReport) -> list[dict[str, Any]]:
    """The run's files put into the object store, as ``artifacts`` rows (one per file)."""
    # start-up: loaded with the client already; named here to keep MLflow out of imports.
    import mlflow.artifacts

    run_id, uri = info.run_id, info.artifact_uri
    rows: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="mlops-import-") as tmp:
            # By the run's artifact URI: the client's run-id calls read the run again first.
            where = {"artifact_uri": uri, "tracking_uri": report.source}
            if not uri or not mlflow.artifacts.list_artifacts(**where):
                return rows
            local = Path(mlflow.artifacts.download_artifacts(**where, dst_path=tmp))
            for path in sorted(p for p in local.rglob("*") if p.is_file()):
                info = store.objects.put_file(path)
                name = path.relative_to(local).as_posix()
                rows.append(
                    {
                        "path": name,
                        "digest": info.digest,
                        "size": info.size,
                        "media_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
                        "kind": "model" if name.endswith("MLmodel") else "file",
                        "created_at": time.time(),
                    }
                )
    except Exception as exc:  # noqa: BLE001 - any failure to read the source's files: reported, run kept
        report.not_mapped.append(
            f"run {run_id}: artifacts missing or unreadable on the source "
            f"({str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}); "
            "the run was imported without them"
        )
        return []
    return rows


Points = dict[str, list[tuple[str, int, float, float]]]


def _from_table(store: Any, runs: list[Any]) -> Points | None:
    """Every point of ``runs`` in one query of MLflow's own ``metrics`` table, when the client
    reads a database (MLflow's ORM builds an object per point: most of the import's time)."""
    engine = getattr(store, "engine", None)
    if engine is None:
        return None
    # start-up: MLflow's table definitions, loaded with its database store already.
    from mlflow.store.tracking.dbmodels.models import SqlMetric
    from sqlalchemy import select

    m = SqlMetric.__table__.c
    out: Points = {r.info.run_id: [] for r in runs}
    stmt = select(m.run_uuid, m.key, m.step, m.value, m.timestamp, m.is_nan).where(
        m.run_uuid.in_(list(out))
    )
    with engine.connect() as conn:
        for run_id, key, step, value, ts, nan in conn.execute(stmt):
            point = (str(key), int(step), math.nan if nan else float(value), ts / 1000.0)
            out[str(run_id)].append(point)
    return out


def _histories(client: Any, runs: list[Any]) -> Points:
    """Every metric point of ``runs``: run id -> (key, step, value, seconds) points."""
    if not runs:
        return {}
    store = getattr(getattr(client, "_tracking_client", None), "store", None)
    table = _from_table(store, runs)
    if table is not None:
        return table
    out: Points = {r.info.run_id: [] for r in runs}
    for run in runs:
        for key in run.data.metrics:
            for m in client.get_metric_history(run.info.run_id, key):
                out[run.info.run_id].append(
                    (key, int(m.step), float(m.value), m.timestamp / 1000.0)
                )
    return out


def _pages(client: Any, experiment_id: str) -> Iterator[list[Any]]:
    token: str | None = None
    while True:
        page = client.search_runs(
            [experiment_id],
            max_results=PAGE,
            order_by=["attributes.start_time ASC"],
            page_token=token,
        )
        if page:
            yield list(page)
        token = page.token
        if not token:
            return


class _Importer:
    def __init__(self, client: Any, store: Store, report: ImportReport) -> None:
        self.client, self.store, self.report = client, store, report
        #: our child run id -> its parent's MLflow run id, linked once every run is in.
        self.parents: dict[str, str] = {}
        self.odd_statuses: dict[str, int] = {}
        self.histories: dict[str, list[tuple[str, int, float, float]]] = {}

    def write(self, experiment_id: int, runs: list[Any]) -> None:
        ids = [r.info.run_id for r in runs]
        known = q.imported(self.store, ids)
        taken = q.taken_ids(self.store, ids)
        wanted = [r for r in runs if known.get(r.info.run_id, ("", None))[1] != str(r.info.status)]
        self.histories = _histories(self.client, wanted)
        new: list[q.RunWrite] = []
        for run in runs:
            source_id = run.info.run_id
            status = str(run.info.status)
            if source_id in known:
                ours, imported_status = known[source_id]
                if imported_status == status:
                    self.report.runs_present += 1
                    continue
                write = self.convert(run, ours, experiment_id)
                self.report.metric_points += q.refresh(self.store, ours, write)
                self.report.runs_updated += 1
                continue
            free = len(source_id) == 32 and source_id not in taken
            new.append(self.convert(run, source_id if free else uuid.uuid4().hex, experiment_id))
        q.write_new(self.store, new)
        for w in new:
            self.report.runs_imported += 1
            self.report.params += len(w.params)
            self.report.tags += len(w.tags)
            self.report.metric_points += len(w.metrics)
            self.report.artifacts += len(w.artifacts)
            self.report.artifact_bytes += sum(a["size"] for a in w.artifacts)

    def convert(self, run: Any, ours: str, experiment_id: int) -> q.RunWrite:
        info = run.info
        status = str(info.status)
        if status not in ("FINISHED", "FAILED", "KILLED"):
            self.odd_statuses[status] = self.odd_statuses.get(status, 0) + 1
        tags = dict(run.data.tags)
        tags[q.SOURCE_ID_TAG] = info.run_id
        tags["mlflow.status"] = status
        parent = tags.get(_PARENT_TAG)
        if parent:
            self.parents[ours] = parent
        start = _ms(info.start_time) or 0.0
        end = _ms(info.end_time)
        name = info.run_name or tags.get("mlflow.runName") or ours[:8]
        row = {
            "id": ours,
            "name": name[:255],
            "experiment_id": experiment_id,
            "status": STATUSES.get(status, "killed"),
            "start_time": start,
            "end_time": end,
            "heartbeat": end or start,
            "user_name": info.user_id or tags.get("mlflow.user"),
            "host": None,
            "pid": None,
            "parent_id": None,
            "git_commit": (tags.get("mlflow.source.git.commit") or "")[:64] or None,
            "notebook_path": None,
        }
        return q.RunWrite(
            run=row,
            params=dict(run.data.params),
            tags=tags,
            metrics=self.histories.pop(info.run_id),
            artifacts=_artifacts(self.store, info, self.report),
        )


def import_mlflow(
    uri: str,
    *,
    experiments: list[str] | None = None,
    store: Store | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import the MLflow tracking store at ``uri`` (``sqlite:///mlflow.db``, ``file:./mlruns``,
    ``http://host:5000``, ...) into this project's store.

    Args:
        uri: an MLflow tracking URI, read through MLflow's own client.
        experiments: import only these experiments (by name); default: every active one.
        store: the store to import into (default: the project's).
        progress: called with one line per experiment and page of runs.

    An experiment whose name the store already has is merged into: its imported runs join
    that experiment. Running the import again adds only what is new.

    Raises:
        MlopsUsageError: ``uri`` is malformed or names no MLflow store (nothing is written).
    """
    with warnings.catch_warnings():
        # MLflow's own deprecation warnings (its SQLAlchemy use) are not the user's to fix.
        warnings.filterwarnings("ignore", module=r"mlflow(\.|$)")
        return _import(uri, experiments, store or current_store(), progress)


def _import(
    uri: str,
    experiments: list[str] | None,
    store: Store,
    progress: Callable[[str], None] | None,
) -> ImportReport:
    started = time.monotonic()
    say = progress or (lambda line: None)
    client = open_client(uri)
    report = ImportReport(source=uri)
    importer = _Importer(client, store, report)
    existing = q.experiment_names(store)
    wanted = set(experiments or [])
    token: str | None = None
    while True:
        page = client.search_experiments(max_results=PAGE, page_token=token)
        for exp in page:
            if wanted and exp.name not in wanted:
                continue
            wanted.discard(exp.name)
            done = 0
            for runs in _pages(client, exp.experiment_id):
                if done == 0:  # an experiment without runs (MLflow's empty Default) stays out
                    merged = exp.name in existing
                    (report.experiments_merged if merged else report.experiments_created).append(
                        exp.name
                    )
                    ours = q.ensure_experiment(store, exp.name)
                importer.write(ours, runs)
                done += len(runs)
                say(f"{exp.name}: {done} run{'' if done == 1 else 's'} read")
        token = page.token
        if not token:
            break
    for name in sorted(wanted):
        report.not_mapped.append(f"experiment {name!r}: not in the MLflow store")
    report.experiments_created.sort()
    report.experiments_merged.sort()
    report.parents_linked = q.link_parents(store, importer.parents)
    for status, n in sorted(importer.odd_statuses.items()):
        report.not_mapped.append(
            f"{n} run{'s' if n != 1 else ''} {status} in MLflow: imported as killed "
            "(tag mlflow.status keeps it; a later import updates them once they end)"
        )
    report.model_versions, report.stages_set = import_registry(client, store, report.not_mapped)
    report.seconds = time.monotonic() - started
    return report
