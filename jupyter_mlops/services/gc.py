"""Find and delete objects in the artifact store that no record points at.

Referenced: everything :func:`~jupyter_mlops.services.references.every_reference` lists (run
artifacts, git diffs, logged models, model versions, dataset versions and every file of a
folder version; and objects holding a run's input or notebook fingerprint). Objects written
less than ``older_than`` seconds ago are never touched: a writer stores an object before the
row that points at it, so a young unreferenced object may be one whose row is about to be
committed. Temporary files a killed writer left in ``tmp/`` go by the same age rule. Links
and anything else the store did not write are reported and never followed or deleted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from jupyter_mlops.artifacts.cas import ObjectStore
from jupyter_mlops.errors import ForeignEntryError, MlopsUsageError, NotFoundError
from jupyter_mlops.services import schema
from jupyter_mlops.services.references import every_reference
from jupyter_mlops.store import Store
from jupyter_mlops.store.run_lifecycle import purge_deleted

DEFAULT_OLDER_THAN = 24 * 3600.0


def referenced_digests(store: Store) -> set[str]:
    """Every digest gc keeps: what records need (folder files included) and fingerprints."""
    refs = every_reference(store)
    return refs.digests | refs.fingerprints


def _written_at(objects: ObjectStore, digest: str) -> float | None:
    """When the object entered the store, or None if the filesystem cannot say."""
    local = objects.local_path(digest)
    if local is not None:
        try:
            st = os.lstat(local)
        except FileNotFoundError:
            return None
        # A hard-linked object keeps its source's mtime; linking it updates the ctime.
        return max(st.st_mtime, st.st_ctime)
    try:
        return float(objects.fs.modified(objects.path_for(digest)).timestamp())
    except (NotImplementedError, OSError, AttributeError, KeyError):
        return None


def _referenced(store: Store) -> set[str]:
    refs = every_reference(store)
    for digest, error in refs.unreadable.items():
        if isinstance(error, NotFoundError):
            continue  # verify reports the missing manifest; nothing here to protect
        # Without the member list we cannot tell which files are orphans: stop, delete nothing.
        raise MlopsUsageError(
            f"Folder manifest {digest} cannot be read ({error}) Run `jupyter-mlops verify` "
            "and fix it before collecting garbage."
        )
    return refs.digests | refs.fingerprints


def collect_garbage(
    store: Store,
    *,
    older_than: float = DEFAULT_OLDER_THAN,
    delete: bool = False,
    now: Callable[[], float] = time.time,
    retention: float | None = None,
) -> schema.GcReport:
    """List (and with ``delete=True`` remove) objects that no record references.

    Args:
        store: the store to clean.
        older_than: seconds; younger objects, or ones whose age is unknown, are kept.
        delete: remove the orphans and old temporaries; by default this is a dry run.
        retention: seconds a deleted run stays restorable; older deleted runs are purged
            first (their objects then go with the other orphans). Default: the project's
            ``deleted_run_retention_days``.
    """
    if older_than < 0:
        raise MlopsUsageError(f"older_than must be zero or more, not {older_than!r}.")
    if retention is None:
        days = store.config.deleted_run_retention_days if store.config else 30.0
        retention = days * 86400
    if retention < 0:
        raise MlopsUsageError(f"retention must be zero or more, not {retention!r}.")
    purged, kept_for_models = purge_deleted(store, before=now() - retention, apply=delete)
    objects = store.objects
    referenced = _referenced(store)
    cutoff = now() - older_than
    orphans: dict[str, int] = {}
    young = 0
    for digest in objects.iter_digests():
        if digest in referenced:
            continue
        written = _written_at(objects, digest)
        if written is None or written > cutoff:
            young += 1
            continue
        orphans[digest] = objects.size(digest)
    foreign, temporaries = leftovers(objects, skew=now() - time.time())
    if delete:
        if orphans:
            # Look again just before deleting: a row may have come to point at an old object.
            still = _referenced(store)
            for digest in [d for d in orphans if d in still]:
                del orphans[digest]
        for digest in list(orphans):
            try:
                objects.delete(digest)
            except ForeignEntryError as exc:  # swapped for a link since the walk: leave it
                del orphans[digest]
                foreign.append(
                    schema.ForeignEntry(path=str(exc.fields["path"]), kind="not a regular file")
                )
        for temp in temporaries:
            if temp.age_seconds >= older_than:
                objects.remove_temporary(temp.path)
                temp.removed = True
    return schema.GcReport(
        orphans=sorted(orphans),
        count=len(orphans),
        bytes=sum(orphans.values()),
        young_kept=young,
        deleted=delete and bool(orphans),
        temporaries=temporaries,
        foreign=foreign,
        purged_runs=purged,
        runs_kept_for_models=kept_for_models,
    )


def leftovers(
    objects: ObjectStore, *, skew: float = 0.0
) -> tuple[list[schema.ForeignEntry], list[schema.TemporaryFile]]:
    """What the object store's folder holds besides objects: foreign entries, and temporary
    files writers left (their age as seen ``skew`` seconds from now)."""
    foreign: list[schema.ForeignEntry] = []
    temporaries: list[schema.TemporaryFile] = []
    for entry in objects.foreign():
        if entry.kind != "temporary":
            foreign.append(schema.ForeignEntry(path=entry.path, kind=entry.kind))
            continue
        try:
            size = os.lstat(entry.path).st_size
        except FileNotFoundError:
            continue  # its writer finished (renamed it into place) or cleaned up
        temporaries.append(
            schema.TemporaryFile(
                path=entry.path, bytes=size, age_seconds=entry.age + skew, removed=False
            )
        )
    return foreign, temporaries
