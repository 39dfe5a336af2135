"""Find and delete objects in the artifact store that no record points at.

Referenced: run artifacts (git diffs included), logged models, model versions, dataset
versions and, for folder versions, every file their manifest lists, run inputs and run
notebooks. Objects written less than ``older_than`` seconds ago are never touched: a writer
stores an object before the row that points at it, so a young unreferenced object may be
one whose row is about to be committed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, select, union

from jupyter_mlops.artifacts.cas import ObjectStore
from jupyter_mlops.errors import ArtifactIntegrityError, MlopsUsageError, NotFoundError
from jupyter_mlops.store import Store
from jupyter_mlops.store import tables as t

DEFAULT_OLDER_THAN = 24 * 3600.0


@dataclass
class GcReport:
    """Unreferenced objects found (and deleted when ``deleted``), and young ones kept."""

    orphans: dict[str, int] = field(default_factory=dict)  # digest -> bytes
    young: int = 0
    deleted: bool = False

    @property
    def bytes(self) -> int:
        return sum(self.orphans.values())


def referenced_digests(store: Store) -> set[str]:
    """Every digest a record points at, folder manifests' member files included."""
    with store.read() as conn:
        digests = _row_digests(conn)
        folders = [
            str(d)
            for (d,) in conn.execute(
                select(t.dataset_versions.c.digest).where(t.dataset_versions.c.kind == "folder")
            )
        ]
    for digest in folders:
        digests |= _manifest_members(store.objects, digest)
    return digests


def _row_digests(conn: Connection) -> set[str]:
    query = union(
        select(t.artifacts.c.digest),
        select(t.logged_models.c.digest),
        select(t.model_versions.c.digest),
        select(t.dataset_versions.c.digest),
        select(t.run_inputs.c.digest),
        select(t.runs.c.notebook_digest).where(t.runs.c.notebook_digest.is_not(None)),
    )
    return {str(d) for (d,) in conn.execute(query)}


def _manifest_members(objects: ObjectStore, digest: str) -> set[str]:
    from jupyter_mlops.data.manifest import Manifest

    try:
        manifest = Manifest.from_bytes(objects.read_bytes(digest), digest=digest)
    except NotFoundError:
        return set()  # verify reports the missing manifest; nothing here to protect
    except ArtifactIntegrityError as exc:
        # Without the member list we cannot tell which files are orphans: stop, delete nothing.
        raise MlopsUsageError(
            f"{exc} Run `jupyter-mlops verify` and fix it before collecting garbage."
        ) from None
    return {e.digest for e in manifest.entries}


def _written_at(objects: ObjectStore, digest: str) -> float | None:
    """When the object entered the store, or None if the filesystem cannot say."""
    path = objects.path_for(digest)
    local = objects.local_path(digest)
    if local is not None:
        st = os.stat(local)
        # A hard-linked object keeps its source's mtime; linking it updates the ctime.
        return max(st.st_mtime, st.st_ctime)
    try:
        return float(objects.fs.modified(path).timestamp())
    except (NotImplementedError, OSError, AttributeError, KeyError):
        return None


def collect_garbage(
    store: Store,
    *,
    older_than: float = DEFAULT_OLDER_THAN,
    delete: bool = False,
    now: Callable[[], float] = time.time,
) -> GcReport:
    """List (and with ``delete=True`` remove) objects that no record references.

    Args:
        store: the store to clean.
        older_than: seconds; younger objects, or ones whose age is unknown, are kept.
        delete: remove the orphans; by default this is a dry run.
    """
    if older_than < 0:
        raise MlopsUsageError(f"older_than must be zero or more, not {older_than!r}.")
    objects = store.objects
    referenced = referenced_digests(store)
    cutoff = now() - older_than
    report = GcReport()
    for digest in objects.iter_digests():
        if digest in referenced:
            continue
        written = _written_at(objects, digest)
        if written is None or written > cutoff:
            report.young += 1
            continue
        report.orphans[digest] = objects.size(digest)
    if delete and report.orphans:
        # Look again just before deleting: a row may have come to point at an old object.
        still = referenced_digests(store)
        for digest in [d for d in report.orphans if d in still]:
            del report.orphans[digest]
        for digest in report.orphans:
            objects.delete(digest)
        report.deleted = True
    return report
