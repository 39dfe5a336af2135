"""Linking runs to dataset versions: explicit ``log_dataset`` and files read in a run."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from jupyter_mlops.artifacts import hash_bytes
from jupyter_mlops.data import records
from jupyter_mlops.data.ingest import LinkMode
from jupyter_mlops.data.materialize import manifest_of
from jupyter_mlops.data.names import ROLES, check_role
from jupyter_mlops.data.service import Datasets, scan_folder
from jupyter_mlops.data.state import StateCache
from jupyter_mlops.data.version import DatasetVersion
from jupyter_mlops.errors import ArtifactIntegrityError, MlopsUsageError, NotFoundError
from jupyter_mlops.store import Store
from jupyter_mlops.tracking.run import Run

# Manifests are content-addressed, so their file digests can be cached by manifest digest
# for the life of the process, whatever store they came from.
_MANIFEST_FILES: dict[str, frozenset[str]] = {}
_MANIFEST_LIMIT = 4096
_manifest_lock = threading.Lock()


def _check_open(run: Run) -> None:
    if run.ended:
        raise MlopsUsageError(f"Run {run.label} has ended; start a new run to log datasets.")


def log_dataset(
    run: Run,
    source: Any,
    name: str | None = None,
    *,
    role: str = "input",
    description: str | None = None,
    link: LinkMode = "auto",
) -> DatasetVersion:
    """Version ``source`` (file, folder or DataFrame) and link it to ``run`` in ``role``.

    Roles ``training``, ``evaluation``, ``input``, ``reference`` and ``current`` are inputs of
    the run; ``product`` is an output. A version created here records the run as the one it
    was first recorded in.

    Returns:
        The version (an existing one when the content equals the latest version of ``name``).
    """
    role = check_role(role)
    _check_open(run)
    version = Datasets(run.store).add(
        source, name, description=description, link=link, run_id=run.id
    )
    records.link_run(run.store, run.id, version.id, role, ROLES[role])
    run.captured.datasets += 1
    return version


def link_file_read(
    run: Run, path: str | os.PathLike[str], digest: str, role: str = "input"
) -> list[DatasetVersion]:
    """Link ``run`` to the dataset versions holding a file it read.

    A version matches when its digest is ``digest`` (a file, a DataFrame stored as Parquet,
    or the folder manifest of ``path`` when ``path`` is a folder) or when it is a folder
    containing a file with ``digest``. For each dataset only its newest matching version is
    linked. Nothing matching is not an error.

    Returns:
        The versions linked.
    """
    role = check_role(role)
    _check_open(run)
    store = run.store
    matches = records.with_digest(store, digest)
    folder = Path(path)
    if not matches and folder.is_dir():
        matches = _folder_versions(run, folder)
    for version in records.of_kind(store, "folder"):
        if version.digest != digest and digest in _files_of(store, version):
            matches.append(version)
    newest: dict[str, DatasetVersion] = {}
    for version in matches:
        if version.name not in newest or version.version > newest[version.name].version:
            newest[version.name] = version
    for version in newest.values():
        records.link_run(store, run.id, version.id, role, ROLES[role])
    return sorted(newest.values(), key=lambda v: v.name)


def _folder_versions(run: Run, folder: Path) -> list[DatasetVersion]:
    scanned = scan_folder(StateCache(run.store), folder)
    if scanned is None:
        return []
    return records.with_digest(run.store, hash_bytes(scanned[0].to_bytes()))


def _files_of(store: Store, version: DatasetVersion) -> frozenset[str]:
    with _manifest_lock:
        known = _MANIFEST_FILES.get(version.digest)
    if known is not None:
        return known
    try:
        digests = frozenset(e.digest for e in manifest_of(store.objects, version.digest).entries)
    except (NotFoundError, ArtifactIntegrityError):
        return frozenset()  # a broken folder version must not break the run reading a file
    with _manifest_lock:
        if len(_MANIFEST_FILES) >= _MANIFEST_LIMIT:
            _MANIFEST_FILES.clear()
        _MANIFEST_FILES[version.digest] = digests
    return digests
