"""Registered models into MLflow's registry: versions as MLflow models, stages as aliases.

A version whose model file sits in an MLflow model folder of its run (one imported from
MLflow) is registered from that folder as it was. Any other version is written as an MLflow
pyfunc model folder (``models export --format mlflow``) into its run's files under
``mlops-models/NAME/VERSION`` and registered from there. Each MLflow version keeps ours in
the tag ``jupyter_mlops.model_version`` (``NAME/VERSION``): a second export adds nothing.

A stage becomes the alias it was imported from (``mlflow.aliases``), else an alias named
after the stage; aliases that had no stage come back too.
"""

from __future__ import annotations

import posixpath
import tempfile
from pathlib import Path
from typing import Any

from jupyter_mlops.interop.export import ExportReport
from jupyter_mlops.interop.registry import ALIASES, ALIASES_TAG, DESCRIPTION_TAG
from jupyter_mlops.models import export as export_model
from jupyter_mlops.models.records import ModelVersion
from jupyter_mlops.models.registry import held_stages, versions_of
from jupyter_mlops.store import Store
from jupyter_mlops.store import interop as q
from jupyter_mlops.store.mlflow_api import registered_model_tags
from jupyter_mlops.store.models import model_rows

#: The MLflow tag an exported version keeps our ``NAME/VERSION`` in.
VERSION_TAG = "jupyter_mlops.model_version"
#: Tags the import adds to keep MLflow's facts: not sent back.
IMPORT_TAGS = (q.SOURCE_VERSION_TAG, ALIASES_TAG, DESCRIPTION_TAG)
_PICKLES = ("pickle", "cloudpickle", "joblib")


def _mlflow_folder(store: Store, version: ModelVersion) -> str | None:
    """The run's MLflow model folder holding this version's file, if it has one."""
    # start-up: the run reader loads on use.
    from jupyter_mlops.tracking.fluent import get_run

    if not version.run_id:
        return None
    files = get_run(version.run_id, store=store).artifacts
    paths = {a.path for a in files}
    for a in files:
        folder = posixpath.dirname(a.path)
        if a.digest == version.digest and f"{folder}/MLmodel" in paths:
            return folder
    return None


def _source(
    client: Any, store: Store, version: ModelVersion, target: str, trusted: bool
) -> tuple[str, str | None]:
    """The MLflow source of the version (a ``runs:/`` URI) and a line when it will not load."""
    folder = _mlflow_folder(store, version)
    if folder is not None:
        return f"runs:/{target}/{folder}", None
    folder = f"mlops-models/{version.name}/{version.version}"
    with tempfile.TemporaryDirectory(prefix="mlops-export-") as tmp:
        out = Path(tmp) / "model"
        export_model(version.uri, "mlflow", out, trusted=trusted, store=store)
        client.log_artifacts(target, str(out), artifact_path=folder)
    warn = None
    if version.format in _PICKLES and not trusted:
        warn = (
            f"model {version.name}/{version.version}: a {version.format} file; exported, but "
            "MLflow loads it only when exported with --trusted"
        )
    return f"runs:/{target}/{folder}", warn


def export_registry(
    client: Any, store: Store, runs: dict[str, str], trusted: bool, report: ExportReport
) -> None:
    """Export every registered model with a version whose run was exported (``runs``: our
    run id -> MLflow's)."""
    for row in model_rows(store):
        versions = sorted(versions_of(row.name, store=store), key=lambda v: v.version)
        if not any(v.run_id in runs for v in versions):
            continue
        _one_model(client, store, row.name, row.description, versions, runs, trusted, report)


def _one_model(
    client: Any,
    store: Store,
    name: str,
    description: str | None,
    versions: list[ModelVersion],
    runs: dict[str, str],
    trusted: bool,
    report: ExportReport,
) -> None:
    # start-up: MLflow's exceptions load with its client.
    from mlflow.exceptions import MlflowException

    # The description an import kept (newest version first), else the registry's own.
    kept = [v.tags[DESCRIPTION_TAG] for v in reversed(versions) if v.tags.get(DESCRIPTION_TAG)]
    description = kept[0] if kept else description
    tags = registered_model_tags(store, [name]).get(name, {})
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name, tags=tags or None, description=description or None)
        report.models_created += 1
    else:
        for key, value in tags.items():  # a later export brings tags set since
            client.set_registered_model_tag(name, key, value)
    present: dict[int, str] = {}  # our version -> MLflow's
    for mv in client.search_model_versions(f"name = '{name}'"):
        ours = (mv.tags or {}).get(VERSION_TAG, "")
        if ours.startswith(f"{name}/"):
            present[int(ours.rsplit("/", 1)[1])] = str(mv.version)
    for version in versions:
        if version.version in present:
            continue
        target = runs.get(version.run_id or "")
        if target is None:
            report.not_mapped.append(f"model {name}/{version.version}: its run was not exported")
            continue
        source, warn = _source(client, store, version, target, trusted)
        if warn:
            report.not_mapped.append(warn)
        tags = {k: str(v) for k, v in version.tags.items() if k not in IMPORT_TAGS}
        tags[VERSION_TAG] = f"{name}/{version.version}"
        # A description the import copied from the model goes back to the model only.
        own = version.description
        if own and own == version.tags.get(DESCRIPTION_TAG):
            own = None
        made = client.create_model_version(
            name, source, run_id=target, tags=tags, description=own or None
        )
        present[version.version] = str(made.version)
        report.model_versions += 1
    aliases = client.get_registered_model(name).aliases or {}
    for alias, ours in _aliases(name, versions, store).items():
        number = present.get(ours)
        if number is None or str(aliases.get(alias)) == number:
            continue
        client.set_registered_model_alias(name, alias, number)
        report.aliases_set += 1


def _aliases(name: str, versions: list[ModelVersion], store: Store) -> dict[str, int]:
    """MLflow alias -> our version: each stage held, and the aliases versions came with."""
    imported: dict[int, list[str]] = {
        v.version: [a for a in str(v.tags.get(ALIASES_TAG, "")).split(",") if a] for v in versions
    }
    out: dict[str, int] = {}
    for number, names in imported.items():
        for alias in names:
            if alias.lower() not in ALIASES:  # an alias with no stage: it comes back as it was
                out[alias] = number
    for stage, number in held_stages(name, store=store).items():
        came_with = [a for a in imported.get(number, []) if ALIASES.get(a.lower()) == stage]
        for alias in came_with or [stage]:
            out[alias] = number
    return out
