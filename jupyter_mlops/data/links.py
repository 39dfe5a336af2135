"""Linking runs to dataset versions, by run id: a version logged for a run, files a run read.

The run side (refusing an ended run, counting what a run captured) is
:mod:`jupyter_mlops.tracking.datasets`.
"""

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
from jupyter_mlops.errors import ArtifactIntegrityError, NotFoundError
from jupyter_mlops.store import Store

# Manifests are content-addressed, so their file digests can be cached by manifest digest
# for the life of the process, whatever store they came from.
_MANIFEST_FILES: dict[str, frozenset[str]] = {}
_MANIFEST_LIMIT = 4096
_manifest_lock = threading.Lock()


def link_run(store: Store, run_id: str, version_id: int, role: str) -> None:
    """Record that run ``run_id`` used (or, as ``product``, produced) a version in ``role``."""
    role = check_role(role)
    records.link_run(store, run_id, version_id, role, ROLES[role])


def add_for_run(
    store: Store,
    run_id: str,
    source: Any,
    name: str | None = None,
    *,
    role: str = "input",
    description: str | None = None,
    link: LinkMode = "auto",
) -> DatasetVersion:
    """Version ``source`` (file, folder or DataFrame) and link it to run ``run_id`` in ``role``.

    Roles ``training``, ``evaluation``, ``input``, ``reference`` and ``current`` are inputs of
    the run; ``product`` is an output. A version created here records the run as the one it
    was first recorded in.

    Returns:
        The version (an existing one when the content equals the latest version of ``name``).
    """
    role = check_role(role)
    version = Datasets(store).add(source, name, description=description, link=link, run_id=run_id)
    records.link_run(store, run_id, version.id, role, ROLES[role])
    return version


def link_file_read(
    store: Store, run_id: str, path: str | os.PathLike[str], digest: str, role: str = "input"
) -> list[DatasetVersion]:
    """Link run ``run_id`` to the dataset versions holding a file it read.

    A version matches when its digest is ``digest`` (a file, a DataFrame stored as Parquet,
    or the folder manifest of ``path`` when ``path`` is a folder) or when it is a folder
    containing a file with ``digest``. For each dataset only its newest matching version is
    linked. Nothing matching is not an error.

    Returns:
        The versions linked.
    """
    role = check_role(role)
    matches = records.with_digest(store, digest)
    folder = Path(path)
    if not matches and folder.is_dir():
        matches = _folder_versions(store, folder)
    for version in records.of_kind(store, "folder"):
        if version.digest != digest and digest in _files_of(store, version):
            matches.append(version)
    newest: dict[str, DatasetVersion] = {}
    for version in matches:
        if version.name not in newest or version.version > newest[version.name].version:
            newest[version.name] = version
    for version in newest.values():
        records.link_run(store, run_id, version.id, role, ROLES[role])
    return sorted(newest.values(), key=lambda v: v.name)


def _folder_versions(store: Store, folder: Path) -> list[DatasetVersion]:
    scanned = scan_folder(StateCache(store), folder)
    if scanned is None:
        return []
    return records.with_digest(store, hash_bytes(scanned[0].to_bytes()))


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
