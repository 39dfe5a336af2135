"""Merge a store into another: a laptop store into a team store that may hold data already.

Objects are copied first and verified (BLAKE3) on the target, so no copied record points at a
missing object; then the records are merged table by table (see :mod:`jupyter_mlops.store.merge`:
fresh integer ids, names merged, the target's stages kept), each batch one transaction that
also records which source row became which target row. Re-running copies nothing twice; an
interrupted migration is finished by running it again.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from jupyter_mlops.artifacts import ObjectStore
from jupyter_mlops.errors import ConflictError, MlopsUsageError, StoreError
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store, one_line, open_store
from jupyter_mlops.store.engine import parse_uri
from jupyter_mlops.store.merge import Merger, store_identity
from jupyter_mlops.store.merge_report import MigrationReport, TableCopy

__all__ = ["MigrationReport", "TableCopy", "migrate_store", "same_database", "store_identity"]


def same_database(a: str, b: str) -> bool:
    """Whether two store URIs name the same database (SQLite by resolved path)."""
    ua, ub = parse_uri(a), parse_uri(b)
    if ua.get_backend_name() != ub.get_backend_name():
        return False
    if ua.get_backend_name() == "sqlite":
        return os.path.realpath(ua.database or "") == os.path.realpath(ub.database or "")
    return (ua.host or "localhost", ua.port or 5432, ua.database) == (
        ub.host or "localhost",
        ub.port or 5432,
        ub.database,
    )


def migrate_store(
    source: Store,
    target_uri: str,
    *,
    artifacts_to: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> MigrationReport:
    """Merge every record and object of ``source`` into the store at ``target_uri``.

    Args:
        source: the store to copy. It is only read, except that it is given a permanent
            identity (``store_meta``) the first time, under which the target records the merge.
        target_uri: the target database, e.g. ``postgresql+psycopg://user@host/mlops``;
            created and migrated to the current schema when new. It may hold other stores'
            records: experiments, datasets, models and schedules of the same name are merged.
        artifacts_to: the target's artifact store (a path or fsspec URL such as
            ``s3://bucket/mlops``); default: the source's, so objects stay where they are.
        progress: called with a short line as each table and the objects are done.

    Returns:
        Per table: rows copied, already there, merged onto existing, renumbered, skipped;
        renumbered versions and skipped stage assignments and schedules; objects copied.

    Raises:
        MlopsUsageError: the target is the source (or a copy of it).
        ConflictError: another writer took a name in the target meanwhile; run it again.
        StoreError: the target cannot be reached or opened.
        ArtifactIntegrityError: an object is corrupt in the source or was not copied intact.
    """
    if same_database(source.uri, target_uri):
        raise MlopsUsageError(
            f"The target {target_uri!r} is the store being migrated; give another store URI."
        )
    objects_uri = artifacts_to or source.objects.uri
    target = open_store(target_uri, objects_uri, config=source.config)
    try:
        if store_identity(target) == store_identity(source):
            raise MlopsUsageError(
                f"The target {target.uri} is a copy of the store being migrated (the same "
                "store id); give another store URI."
            )
        report = MigrationReport(source.uri, target.uri, target.objects.uri)
        if source.objects.uri != target.objects.uri:
            _copy_objects(source.objects, target.objects, report)
            _say(progress, f"objects: {report.objects_copied} copied, "
                 f"{report.objects_present} already there (all verified)")  # fmt: skip
        try:
            Merger(source, target, report, lambda line: _say(progress, line)).run()
        except IntegrityError as exc:
            # Someone wrote the same name meanwhile (another migration into this target?).
            raise ConflictError(
                f"The target store changed during the migration: {one_line(exc.orig)}. "
                "Batches written so far are complete; run the migration again to finish."
            ) from exc
        if target.dialect == "postgresql":
            _advance_sequences(target)
        return report
    finally:
        target.close()


def _say(progress: Callable[[str], None] | None, line: str) -> None:
    if progress is not None:
        progress(line)


def _copy_objects(source: ObjectStore, target: ObjectStore, report: MigrationReport) -> None:
    for digest in source.iter_digests():
        if not target.exists(digest):
            # Reading the source to the end verifies it; the copy is hashed as it is written.
            with source.open(digest) as fh:
                info = target.put_stream(fh)
            if info.digest != digest:
                raise StoreError(
                    f"Object {digest} was copied as {info.digest}: the source changed while "
                    "it was read. Run `jupyter-mlops verify`, then the migration again."
                )
            report.objects_copied += 1
            report.bytes_copied += info.size
        else:
            report.objects_present += 1
        target.verify(digest)


def _advance_sequences(target: Store) -> None:
    """Move PostgreSQL id sequences past the copied ids, so new rows get fresh ones."""
    with target.write() as conn:
        for table in t.metadata.sorted_tables:
            column = table.autoincrement_column
            if column is None:
                continue
            top = conn.execute(select(func.max(column))).scalar()
            if top is None:
                continue
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, :column), :value)"),
                {"table": table.name, "column": column.name, "value": int(top)},
            )
