"""Export this store into an MLflow tracking store through MLflow's own client: experiments,
runs (times, statuses, users, params, tags, every metric point, files, parent runs) and
registered models (versions as MLflow models, stages as aliases, descriptions).

Each exported run carries its id here in the MLflow tag ``jupyter_mlops.run_id`` and each
version its ``NAME/VERSION`` in ``jupyter_mlops.model_version``: a second export looks them
up and adds nothing. Runs imported from MLflow go back as they came (their ``mlflow.status``,
without the import's own tags).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.interop.progress import Progress
from jupyter_mlops.interop.source import open_target
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import interop as q
from jupyter_mlops.store.mlflow_api import DatasetInput, dataset_inputs, experiment

#: The MLflow tag an exported run keeps its id here in.
RUN_TAG = "jupyter_mlops.run_id"
#: Our status -> MLflow's.
STATUSES = {
    "finished": "FINISHED",
    "failed": "FAILED",
    "killed": "KILLED",
    "running": "RUNNING",
}
#: Tags the import adds to keep MLflow's facts: not sent back as tags.
IMPORT_TAGS = (q.SOURCE_ID_TAG, "mlflow.status", "mlflow.lifecycle")
_PARENT_TAG = "mlflow.parentRunId"
PAGE = 200


@dataclass
class ExportReport:
    """What an export wrote into MLflow, found there already, and could not map."""

    target: str
    experiments_created: list[str] = field(default_factory=list)
    experiments_merged: list[str] = field(default_factory=list)
    runs_exported: int = 0
    runs_present: int = 0
    params: int = 0
    tags: int = 0
    metric_points: int = 0
    artifacts: int = 0
    parents_linked: int = 0
    models_created: int = 0
    model_versions: int = 0
    aliases_set: int = 0
    not_mapped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return asdict(self)


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def mlflow_status(run: dict[str, Any], tags: dict[str, str]) -> str:
    """MLflow's status for a run: the one it was imported with while ours still agrees."""
    ours = str(run["status"])
    # start-up: the import module is small; kept here as the one mapping both ways.
    from jupyter_mlops.interop.mlflow import STATUSES as IMPORTED

    before = tags.get("mlflow.status")
    if before and IMPORTED.get(before) == ours:
        return before
    return STATUSES.get(ours, "KILLED")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "experiment"


class _Exporter:
    def __init__(
        self, client: Any, store: Store, report: ExportReport, say: Callable[[Progress], None]
    ) -> None:
        self.client, self.store, self.report, self.say = client, store, report, say
        #: our run id -> the MLflow run id it has in the target.
        self.runs: dict[str, str] = {}
        #: MLflow run id -> our parent run id, linked once every run is in.
        self.parents: dict[str, str] = {}

    # -- experiments -------------------------------------------------------------------------

    def experiment(self, name: str, tags: dict[str, str]) -> str:
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            self.report.experiments_merged.append(name)
            if found.lifecycle_stage == "deleted":
                self.client.restore_experiment(found.experiment_id)
            for key, value in tags.items():  # a later export brings tags set since
                if found.tags.get(key) != value:
                    self.client.set_experiment_tag(found.experiment_id, key, value)
            self._known(found.experiment_id)
            return str(found.experiment_id)
        self.report.experiments_created.append(name)
        location = self._location(name)
        made = self.client.create_experiment(name, artifact_location=location, tags=tags or None)
        return str(made)

    def _location(self, name: str) -> str | None:
        # MLflow's default artifact root is ./mlruns under the current folder: a SQLite
        # target keeps its files beside its database instead.
        uri = self.report.target
        if not uri.startswith("sqlite:"):
            return None
        db = Path(uri.split(":///", 1)[1].split("?", 1)[0])
        return (db.resolve().parent / "mlartifacts" / _slug(name)).as_uri()

    def _known(self, experiment_id: str) -> None:
        """Record the runs an earlier export wrote into this experiment."""
        # start-up: MLflow's entities load with its client.
        from mlflow.entities import ViewType

        token: str | None = None
        while True:
            page = self.client.search_runs(
                [experiment_id],
                max_results=1000,
                run_view_type=ViewType.ALL,
                page_token=token,
            )
            for run in page:
                ours = run.data.tags.get(RUN_TAG)
                if ours:
                    self.runs[ours] = run.info.run_id
            token = page.token
            if not token:
                return

    # -- runs --------------------------------------------------------------------------------

    def write(
        self, experiment_id: str, run: q.RunRead, inputs: list[DatasetInput] | None = None
    ) -> None:
        ours = str(run.run["id"])
        if ours in self.runs:
            self.report.runs_present += 1
            return
        # start-up: MLflow's entities load with its client.
        from mlflow.entities import Metric, Param

        row = run.run
        tags = {k: v for k, v in run.tags.items() if k not in IMPORT_TAGS}
        tags[RUN_TAG] = ours
        tags.setdefault("mlflow.runName", str(row["name"]))
        imported = q.SOURCE_ID_TAG in run.tags
        user = row.get("user_name")
        added_user = False
        if user and "mlflow.user" not in tags:
            # MLflow takes a run's user from this tag; a run imported without it loses it again.
            tags["mlflow.user"] = str(user)
            added_user = imported
        if not imported:
            if row.get("git_commit"):
                tags.setdefault("mlflow.source.git.commit", str(row["git_commit"]))
            if row.get("notebook_path"):
                tags.setdefault("mlflow.source.name", str(row["notebook_path"]))
                tags.setdefault("mlflow.source.type", "NOTEBOOK")
        parent = row.get("parent_id")
        tags.pop(_PARENT_TAG, None)
        if parent and parent in self.runs:
            tags[_PARENT_TAG] = self.runs[str(parent)]
        created = self.client.create_run(
            experiment_id,
            start_time=_ms(row["start_time"]),
            tags=tags,
            run_name=str(row["name"]),
        )
        target = created.info.run_id
        self.runs[ours] = target
        if parent and _PARENT_TAG not in tags:
            self.parents[target] = str(parent)
        if added_user:
            self.client.delete_tag(target, "mlflow.user")
        points = [Metric(key, value, _ms(ts) or 0, step) for key, step, value, ts in run.metrics]
        self.client.log_batch(
            target,
            metrics=points,
            params=[Param(k, v) for k, v in run.params.items()],
            tags=[],
        )
        self._files(target, run.artifacts)
        if inputs:
            self._inputs(target, inputs)
        status = mlflow_status(row, run.tags)
        if status == "SCHEDULED":
            self.client.update_run(target, status=status)
        elif status != "RUNNING":
            self.client.set_terminated(target, status, end_time=_ms(row.get("end_time")))
        if row.get("deleted_at") is not None:  # deleted here (or in MLflow before the import)
            self.client.delete_run(target)
        r = self.report
        r.runs_exported += 1
        r.params += len(run.params)
        r.tags += len(tags) - (1 if added_user else 0)
        r.metric_points += len(points)
        r.artifacts += len(run.artifacts)

    def _inputs(self, target: str, inputs: list[DatasetInput]) -> None:
        """The datasets an MLflow client logged as the run's inputs, logged again."""
        # start-up: MLflow's entities load with its client.
        from mlflow.entities import Dataset, InputTag
        from mlflow.entities import DatasetInput as MlflowInput

        self.client.log_inputs(
            target,
            datasets=[
                MlflowInput(
                    Dataset(
                        name=d.name,
                        digest=d.digest,
                        source_type=d.source_type,
                        source=d.source,
                        schema=d.schema,
                        profile=d.profile,
                    ),
                    tags=[InputTag(k, v) for k, v in d.tags.items()],
                )
                for d in inputs
            ],
        )

    def _files(self, target: str, files: list[tuple[str, str]]) -> None:
        if not files:
            return
        with tempfile.TemporaryDirectory(prefix="mlops-export-") as tmp:
            root = Path(tmp)
            for path, digest in files:
                dest = root / path
                dest.parent.mkdir(parents=True, exist_ok=True)
                with self.store.objects.open(digest) as src, dest.open("wb") as out:
                    shutil.copyfileobj(src, out)
            self.client.log_artifacts(target, str(root))

    def link_parents(self) -> None:
        for child, parent in self.parents.items():
            found = self.runs.get(parent)
            if found is None:
                self.report.not_mapped.append(
                    f"run {child}: its parent run {parent} was not exported (no mlflow.parentRunId)"
                )
                continue
            self.client.set_tag(child, _PARENT_TAG, found)
            self.report.parents_linked += 1


def export_mlflow(
    uri: str,
    *,
    experiments: list[str] | None = None,
    trusted: bool = False,
    store: Store | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> ExportReport:
    """Export this project's runs and registered models into the MLflow store at ``uri``
    (``sqlite:///mlflow.db``, ``file:./mlruns``, ``http://host:5000``, ...).

    Args:
        uri: an MLflow tracking URI, written through MLflow's own client (a SQLite file or
            ``mlruns`` folder is made when missing).
        experiments: export only these experiments (by name); default: every one.
        trusted: let MLflow load exported pickle models of ours (``mlflow.pyfunc.load_model``).
        store: the store to export from (default: the project's).
        progress: told how many runs are done after each one.

    An experiment the target already has is merged into. Running the export again adds
    only what is new.

    Raises:
        MlopsUsageError: ``uri`` is malformed or unreachable, or an experiment is unknown
            (nothing is written).
    """
    store = store or current_store()
    known = q.experiments_by_name(store)
    unknown = sorted(set(experiments or []) - set(known))
    if unknown:
        listed = ", ".join(sorted(known)) or "none"
        raise MlopsUsageError(
            f"No experiment named {', '.join(map(repr, unknown))} in this store "
            f"(experiments: {listed})."
        )
    with warnings.catch_warnings():
        # MLflow's own deprecation warnings (its SQLAlchemy use) are not the user's to fix.
        warnings.filterwarnings("ignore", module=r"mlflow(\.|$)")
        warnings.filterwarnings("ignore", category=FutureWarning, message=".*stage.*")
        return _export(uri, experiments, trusted, store, known, progress)


def _export(
    uri: str,
    experiments: list[str] | None,
    trusted: bool,
    store: Store,
    known: dict[str, int],
    progress: Callable[[Progress], None] | None,
) -> ExportReport:
    # start-up: the registry half loads MLflow's model code only when a model is exported.
    from jupyter_mlops.interop.export_registry import export_registry

    started = time.monotonic()
    say = progress or (lambda event: None)
    client = open_target(uri)
    report = ExportReport(target=uri.strip())
    exporter = _Exporter(client, store, report, say)
    names = sorted(experiments) if experiments else sorted(known)
    total = q.count_runs(store, [known[n] for n in names])
    done = 0
    for name in names:
        target: str | None = None
        for page in q.run_pages(store, known[name], PAGE):
            if target is None:
                target = exporter.experiment(name, experiment(store, id=known[name]).tags)
            inputs = dataset_inputs(store, [str(run.run["id"]) for run in page])
            for run in page:
                exporter.write(target, run, inputs.get(str(run.run["id"])))
                done += 1
                say(Progress(done, total, f"{name}: {done} of {total} runs"))
    exporter.link_parents()
    export_registry(client, store, exporter.runs, trusted, report)
    report.experiments_created.sort()
    report.experiments_merged.sort()
    report.seconds = time.monotonic() - started
    return report
