"""Verify the store: its database, every object re-hashed, every reference resolved.

Used by ``jupyter-mlops verify``. The database is checked first (SQLite's quick_check; on
PostgreSQL that it answers and holds the schema). Objects are hashed one at a time by
:meth:`ObjectStore.verify`, which streams, so memory does not grow with their size. The
references are the ones ``gc`` keeps (:mod:`jupyter_mlops.services.references`): run
artifacts, models, model and dataset versions (a folder's every file); a run's input and
notebook fingerprints are not required to have objects. Links and anything else the store
did not write are reported as foreign and never followed; temporary files a killed writer
left are reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from jupyter_mlops.config import load_config
from jupyter_mlops.errors import (
    ArtifactIntegrityError,
    ForeignEntryError,
    MlopsUsageError,
    NotFoundError,
    StoreError,
)
from jupyter_mlops.services import schema
from jupyter_mlops.services.gc import leftovers
from jupyter_mlops.services.references import ObjectRef, every_reference, owners_of
from jupyter_mlops.services.schema.admin import ObjectProblemKind
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store.health import (
    QUICK_CHECK_OK,
    check_database,
    quick_check_file,
    sqlite_path,
)

__all__ = ["verify_project", "verify_store"]


def verify_project(
    *, remove_corrupt: bool = False, progress: Callable[[int], None] | None = None
) -> schema.VerifyReport:
    """Verify the working directory's project store (what ``jupyter-mlops verify`` does).

    A damaged SQLite database is refused before it is opened (opening writes to it).

    Raises:
        StoreError: the database is damaged, empty or unreachable.
    """
    db = sqlite_path(load_config())
    if db is None or not db.exists():
        return verify_store(current_store(), remove_corrupt=remove_corrupt, progress=progress)
    problem = quick_check_file(db)
    if problem is not None:
        raise StoreError(problem)
    return _verify(current_store(), QUICK_CHECK_OK, remove_corrupt, progress)


def verify_store(
    store: Store,
    *,
    remove_corrupt: bool = False,
    progress: Callable[[int], None] | None = None,
) -> schema.VerifyReport:
    """Check the database, re-hash every object and check that every referenced one exists.

    Args:
        store: the store to check.
        remove_corrupt: delete corrupt objects (the rows pointing at them then need the
            object stored again, e.g. by re-running what produced it).
        progress: called with the number of objects checked so far, after each one.

    Returns:
        The report; ``report.ok`` is true when nothing is corrupt, missing or foreign.

    Raises:
        StoreError: the database is damaged or unreachable.
    """
    return _verify(store, check_database(store), remove_corrupt, progress)


def _verify(
    store: Store,
    database: str,
    remove_corrupt: bool,
    progress: Callable[[int], None] | None,
) -> schema.VerifyReport:
    objects = store.objects
    corrupt: dict[str, str] = {}
    checked = size = 0
    for digest in objects.iter_digests():
        try:
            size += objects.size(digest)
            objects.verify(digest)
        except ArtifactIntegrityError as exc:
            corrupt[digest] = str(exc)
        except (NotFoundError, FileNotFoundError, ForeignEntryError):
            continue  # deleted (gc) or replaced since the walk; foreign() reports the latter
        checked += 1
        if progress is not None:
            progress(checked)

    references = every_reference(store)
    missing: dict[str, str] = {}
    for digest in sorted(references.digests):
        if digest in corrupt:
            continue
        try:
            present = objects.exists(digest)
        except MlopsUsageError:
            missing[digest] = f"{digest!r} is not a valid digest."
            continue
        if not present:
            missing[digest] = f"Object {digest} is missing from {objects.root}."
    refs = owners_of(store, references, [*corrupt, *missing])

    if remove_corrupt:
        for digest in corrupt:
            objects.delete(digest)
    problems = [
        _problem(digest, "corrupt", text, refs.get(digest, ()), removed=remove_corrupt)
        for digest, text in sorted(corrupt.items())
    ]
    problems += [
        _problem(digest, "missing", text, refs.get(digest, ()), removed=False)
        for digest, text in sorted(missing.items())
    ]
    foreign, temporaries = leftovers(objects)
    return schema.VerifyReport(
        ok=not problems and not foreign,
        database=database,
        artifacts_uri=f"{_protocol(store)}{objects.root}",
        objects_checked=checked,
        bytes_checked=size,
        references_checked=len(references.digests),
        problems=problems,
        foreign=foreign,
        temporaries=temporaries,
    )


def _problem(
    digest: str,
    kind: ObjectProblemKind,
    detail: str,
    refs: Iterable[ObjectRef],
    *,
    removed: bool,
) -> schema.ObjectProblem:
    owners = [
        schema.ObjectOwner(kind=r.kind, name=r.name, run_id=r.run_id, run_name=r.run_name)
        for r in refs
    ]
    return schema.ObjectProblem(
        digest=digest, problem=kind, detail=detail, refs=owners, removed=removed
    )


def _protocol(store: Store) -> str:
    protocol = store.objects.fs.protocol
    name = protocol[0] if isinstance(protocol, tuple | list) else str(protocol)
    return "" if name in ("file", "local") else f"{name}://"
