"""Import an MLflow tracking store: experiments, runs, params, metric histories, tags and
artifacts, read through MLflow's own client and streamed in pages.

Imported runs keep their MLflow run id as their id when it is free, and always in the tag
``mlflow.run_id``: a second import adds nothing, a later one adds the runs that are new and
brings runs that were still going up to date. Each page of runs is written in one
transaction, so an import killed half-way leaves whole runs, and running it again finishes it.
"""

from __future__ import annotations

import mimetypes
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from jupyter_mlops.interop.lock import import_lock
from jupyter_mlops.interop.progress import Progress
from jupyter_mlops.interop.reader import Points, SourceRun, count_runs, histories, pages
from jupyter_mlops.interop.registry import import_registry
from jupyter_mlops.interop.source import open_client
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import interop as q
from jupyter_mlops.store.mlflow_api import DatasetInput, add_dataset_inputs, set_experiment_tags
from jupyter_mlops.store.run_lifecycle import set_deleted

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
#: The tag marking a run MLflow had deleted (lifecycle_stage ``deleted``).
DELETED_TAG = q.LIFECYCLE_TAG


@dataclass
class ImportReport:
    """What an import read, wrote, merged and could not map."""

    source: str
    experiments_created: list[str] = field(default_factory=list)
    experiments_merged: list[str] = field(default_factory=list)
    runs_imported: int = 0
    runs_present: int = 0
    runs_updated: int = 0
    runs_deleted: int = 0
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
        """The report as a JSON-ready dict."""
        return asdict(self)


def _ms(value: int | None) -> float | None:
    return None if value is None else value / 1000.0


def _local_folder(uri: str) -> Path | None:
    """The folder a ``file:`` (or plain path) artifact URI names, None for remote ones."""
    if uri.startswith("file://"):
        return Path(unquote(urlparse(uri).path))
    if uri.startswith("file:"):
        return Path(unquote(uri[len("file:") :]))
    if "://" not in uri and uri:
        return Path(uri)
    return None


def _files(store: Store, local: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    # A dangling link is a file the source lost: put_file fails on it and the run says so.
    for path in sorted(p for p in local.rglob("*") if not p.is_dir()):
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
    return rows


def _artifacts(store: Store, run: SourceRun, report: ImportReport) -> list[dict[str, Any]]:
    """The run's files put into the object store, as ``artifacts`` rows (one per file)."""
    uri = run.artifact_uri
    try:
        local = _local_folder(uri)
        if local is not None:
            # A folder on this machine is read in place: MLflow's client would copy it first.
            return _files(store, local) if local.is_dir() else []
        # start-up: loaded with the client already; named here to keep MLflow out of imports.
        import mlflow.artifacts

        with tempfile.TemporaryDirectory(prefix="mlops-import-") as tmp:
            # By the run's artifact URI: the client's run-id calls read the run again first.
            where = {"artifact_uri": uri, "tracking_uri": report.source}
            if not uri or not mlflow.artifacts.list_artifacts(**where):
                return []
            return _files(store, Path(mlflow.artifacts.download_artifacts(**where, dst_path=tmp)))
    except Exception as exc:  # noqa: BLE001 - any failure to read the source's files: reported, run kept
        report.not_mapped.append(
            f"run {run.run_id}: artifacts missing or unreadable on the source "
            f"({str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}); "
            "the run was imported without them"
        )
        return []


class _Importer:
    def __init__(self, client: Any, store: Store, report: ImportReport) -> None:
        self.client, self.store, self.report = client, store, report
        #: our child run id -> its parent's MLflow run id, linked once every run is in.
        self.parents: dict[str, str] = {}
        self.odd_statuses: dict[str, int] = {}
        self.histories: dict[str, Points] = {}

    def write(self, experiment_id: int, runs: list[SourceRun]) -> None:
        ids = [r.run_id for r in runs]
        known = q.imported(self.store, ids)
        taken = q.taken_ids(self.store, ids)
        wanted = [r for r in runs if known.get(r.run_id, ("", None))[1] != _state(r)]
        self.histories = histories(self.client, wanted)
        new: list[q.RunWrite] = []
        inputs: list[tuple[str, list[DatasetInput]]] = []  # our run id, its dataset inputs
        for run in runs:
            source_id = run.run_id
            if source_id in known:
                ours, imported_state = known[source_id]
                if imported_state == _state(run):
                    self.report.runs_present += 1
                    continue
                inputs.append((ours, run.inputs))
                write = self.convert(run, ours, experiment_id)
                self.report.metric_points += q.refresh(self.store, ours, write)
                gone = run.lifecycle_stage == "deleted"
                set_deleted(self.store, [ours], at=time.time() if gone else None)
                self.report.runs_updated += 1
                continue
            free = len(source_id) == 32 and source_id not in taken
            new.append(self.convert(run, source_id if free else uuid.uuid4().hex, experiment_id))
            inputs.append((new[-1].run["id"], run.inputs))
        q.write_new(self.store, new)
        for ours, logged in inputs:  # the datasets MLflow's log_input recorded (no content)
            if logged:
                add_dataset_inputs(self.store, ours, logged)
        deleted = [w.run["id"] for w in new if w.tags.get(DELETED_TAG) == "deleted"]
        if deleted:
            # As `runs delete` marks them: out of searches, kept until restored or purged.
            set_deleted(self.store, deleted, at=time.time())
        for w in new:
            self.report.runs_imported += 1
            self.report.runs_deleted += w.tags.get(DELETED_TAG) == "deleted"
            self.report.params += len(w.params)
            self.report.tags += len(w.tags)
            self.report.metric_points += len(w.metrics)
            self.report.artifacts += len(w.artifacts)
            self.report.artifact_bytes += sum(a["size"] for a in w.artifacts)

    def convert(self, run: SourceRun, ours: str, experiment_id: int) -> q.RunWrite:
        status = run.status
        if status not in ("FINISHED", "FAILED", "KILLED"):
            self.odd_statuses[status] = self.odd_statuses.get(status, 0) + 1
        tags = dict(run.tags)
        tags[q.SOURCE_ID_TAG] = run.run_id
        tags["mlflow.status"] = status
        if run.lifecycle_stage == "deleted":
            tags[DELETED_TAG] = "deleted"
        else:
            tags.pop(DELETED_TAG, None)
        parent = tags.get(_PARENT_TAG)
        if parent:
            self.parents[ours] = parent
        start = _ms(run.start_time) or 0.0
        end = _ms(run.end_time)
        name = run.name or tags.get("mlflow.runName") or ours[:8]
        row = {
            "id": ours,
            "name": name[:255],
            "experiment_id": experiment_id,
            "status": STATUSES.get(status, "killed"),
            "start_time": start,
            "end_time": end,
            "heartbeat": end or start,
            "user_name": run.user_id or tags.get("mlflow.user"),
            "host": None,
            "pid": None,
            "parent_id": None,
            "git_commit": (tags.get("mlflow.source.git.commit") or "")[:64] or None,
            "notebook_path": None,
        }
        return q.RunWrite(
            run=row,
            params=run.params,
            tags=tags,
            metrics=self.histories.pop(run.run_id),
            artifacts=_artifacts(self.store, run, self.report),
        )


def _state(run: SourceRun) -> str:
    """What a later import compares to see whether a run changed: status, and deletion."""
    return run.status + ("/deleted" if run.lifecycle_stage == "deleted" else "")


def import_mlflow(
    uri: str,
    *,
    experiments: list[str] | None = None,
    store: Store | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> ImportReport:
    """Import the MLflow tracking store at ``uri`` (``sqlite:///mlflow.db``, ``file:./mlruns``,
    ``http://host:5000``, ...) into this project's store.

    Args:
        uri: an MLflow tracking URI, read through MLflow's own client.
        experiments: import only these experiments (by name); default: every active one.
        store: the store to import into (default: the project's).
        progress: told how many runs are done (of how many, when known) after each page.

    An experiment whose name the store already has is merged into: its imported runs join
    that experiment. Running the import again adds only what is new. Runs deleted in MLflow
    come too, deleted here as well (``runs restore`` brings one back) and tagged
    ``mlflow.lifecycle=deleted``.

    Raises:
        MlopsUsageError: ``uri`` is malformed or names no MLflow store, or another import
            into the store is running (nothing is written).
    """
    store = store or current_store()
    with warnings.catch_warnings():
        # MLflow's own deprecation warnings (its SQLAlchemy use) are not the user's to fix.
        warnings.filterwarnings("ignore", module=r"mlflow(\.|$)")
        client = open_client(uri)
        with import_lock(store, uri.strip()) as beat:
            return _import(client, uri, experiments, store, progress, beat)


def _import(
    client: Any,
    uri: str,
    experiments: list[str] | None,
    store: Store,
    progress: Callable[[Progress], None] | None,
    beat: Callable[[], None],
) -> ImportReport:
    started = time.monotonic()
    say = progress or (lambda event: None)
    report = ImportReport(source=uri)
    importer = _Importer(client, store, report)
    existing = q.experiment_names(store)
    wanted = set(experiments or [])
    chosen = []
    token: str | None = None
    while True:
        page = client.search_experiments(max_results=PAGE, page_token=token)
        chosen += [exp for exp in page if not wanted or exp.name in wanted]
        token = page.token
        if not token:
            break
    for name in sorted(wanted - {exp.name for exp in chosen}):
        report.not_mapped.append(f"experiment {name!r}: not in the MLflow store")
    total = count_runs(client, [str(exp.experiment_id) for exp in chosen])
    done = 0
    for exp in chosen:
        first = True
        for runs in pages(client, exp.experiment_id, PAGE):
            if first:  # an experiment without runs (MLflow's empty Default) stays out
                first = False
                merged = exp.name in existing
                (report.experiments_merged if merged else report.experiments_created).append(
                    exp.name
                )
                ours = q.ensure_experiment(store, exp.name)
                set_experiment_tags(store, ours, dict(exp.tags or {}))
            importer.write(ours, runs)
            beat()
            done += len(runs)
            of = f" of {total}" if total is not None else ""
            say(Progress(done, total, f"{exp.name}: {done}{of} run{'' if done == 1 else 's'} read"))
    report.experiments_created.sort()
    report.experiments_merged.sort()
    report.parents_linked = q.link_parents(store, importer.parents)
    for status, n in sorted(importer.odd_statuses.items()):
        report.not_mapped.append(
            f"{n} run{'s' if n != 1 else ''} {status} in MLflow: imported as killed "
            "(tag mlflow.status keeps it; a later import updates them once they end)"
        )
    if report.runs_deleted:
        report.not_mapped.append(
            f"{report.runs_deleted} run{'s' if report.runs_deleted != 1 else ''} deleted in "
            f"MLflow: imported as deleted runs (tag {DELETED_TAG}=deleted)"
        )
    report.model_versions, report.stages_set = import_registry(client, store, report.not_mapped)
    report.seconds = time.monotonic() - started
    return report
