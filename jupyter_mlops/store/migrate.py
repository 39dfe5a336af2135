"""Copy a store into another: an embedded (laptop) store into a team store.

Every table is copied with its ids, objects first so that no copied record points at a
missing object; each object is verified (BLAKE3) on the target. Re-running copies only what
is missing. A target holding *different* records under the same ids (or the same unique
names) is refused before anything is written; after that each batch of rows is one
transaction, so an interrupted copy leaves whole batches and a re-run finishes it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Column, Connection, Table, UniqueConstraint, func, select, text, tuple_

from jupyter_mlops.artifacts import ObjectStore
from jupyter_mlops.errors import MlopsUsageError, StoreError
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store, open_store
from jupyter_mlops.store.engine import parse_uri

BATCH = 500
_MAX_REPORTED = 5


@dataclass
class TableCopy:
    """Rows of one table: copied now, or already on the target."""

    table: str
    copied: int = 0
    present: int = 0


@dataclass
class MigrationReport:
    """What :func:`migrate_store` did."""

    source: str
    target: str
    artifacts: str
    tables: list[TableCopy] = field(default_factory=list)
    objects_copied: int = 0
    objects_present: int = 0
    bytes_copied: int = 0

    @property
    def rows_copied(self) -> int:
        return sum(item.copied for item in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows_copied": self.rows_copied}


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
    """Copy every record and object of ``source`` into the store at ``target_uri``.

    Args:
        source: the store to copy (it is only read).
        target_uri: the target database, e.g. ``postgresql+psycopg://user@host/mlops``;
            created and migrated to the current schema when new.
        artifacts_to: the target's artifact store (a path or fsspec URL such as
            ``s3://bucket/mlops``); default: the source's, so objects stay where they are.
        progress: called with a short line as each table and the objects are done.

    Returns:
        Rows copied and already present per table, objects copied and already present.

    Raises:
        MlopsUsageError: the target is the source, or holds different records under the
            same ids (nothing is written then).
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
        report = MigrationReport(source.uri, target.uri, target.objects.uri)
        conflicts = [
            c for table in t.metadata.sorted_tables for c in _conflicts(source, target, table)
        ]
        if conflicts:
            shown = "; ".join(conflicts[:_MAX_REPORTED])
            more = f" (and {len(conflicts) - _MAX_REPORTED} more)" if len(conflicts) > 5 else ""
            raise MlopsUsageError(
                f"The target store {target.uri} already holds different records under the "
                f"same ids: {shown}{more}. Nothing was copied; migrate into an empty store "
                "or one this store was migrated into before."
            )
        if source.objects.uri != target.objects.uri:
            _copy_objects(source.objects, target.objects, report)
            _say(progress, f"objects: {report.objects_copied} copied, "
                 f"{report.objects_present} already there (all verified)")  # fmt: skip
        for table in t.metadata.sorted_tables:
            item = _copy_table(source, target, table)
            report.tables.append(item)
            _say(progress, f"{table.name}: {item.copied} copied, {item.present} already there")
        if target.dialect == "postgresql":
            _advance_sequences(target)
        return report
    finally:
        target.close()


def _say(progress: Callable[[str], None] | None, line: str) -> None:
    if progress is not None:
        progress(line)


def _keysets(table: Table) -> list[list[Column[Any]]]:
    """The primary key and every unique constraint: what two stores must agree on."""
    sets = [list(table.primary_key.columns)]
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            sets.append(list(constraint.columns))
    return sets


def _batches(store: Store, table: Table) -> Iterator[list[dict[str, Any]]]:
    order = list(table.primary_key.columns)
    last: tuple[Any, ...] | None = None
    while True:
        # Keyset pagination: each batch is its own short read, however big the table.
        stmt = select(table).order_by(*order).limit(BATCH)
        if last is not None:
            stmt = stmt.where(tuple_(*order) > tuple_(*last))
        with store.read() as conn:
            rows = [dict(row._mapping) for row in conn.execute(stmt)]
        if not rows:
            return
        yield rows
        last = tuple(rows[-1][c.name] for c in order)


def _existing(
    conn: Connection, table: Table, keys: Sequence[Column[Any]], rows: list[dict[str, Any]]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    values = [tuple(row[c.name] for c in keys) for row in rows]
    found = conn.execute(select(table).where(tuple_(*keys).in_(values)))
    return {tuple(r._mapping[c.name] for c in keys): dict(r._mapping) for r in found}


def _label(table: Table, keys: Sequence[Column[Any]], row: dict[str, Any]) -> str:
    return f"{table.name} " + ", ".join(f"{c.name}={row[c.name]!r}" for c in keys)


def _split(
    conn: Connection, table: Table, rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int, list[str]]:
    """Rows the target lacks, how many it has identically, and descriptions of conflicts."""
    new: list[dict[str, Any]] = []
    present = 0
    conflicts: list[str] = []
    matches = [(keys, _existing(conn, table, keys, rows)) for keys in _keysets(table)]
    for row in rows:
        same = clash = False
        for keys, existing in matches:
            other = existing.get(tuple(row[c.name] for c in keys))
            if other is None:
                continue
            if other == row:
                same = True
            else:
                clash = True
                conflicts.append(_label(table, keys, row))
                break
        if clash:
            continue
        if same:
            present += 1
        else:
            new.append(row)
    return new, present, conflicts


def _conflicts(source: Store, target: Store, table: Table) -> list[str]:
    found: list[str] = []
    for rows in _batches(source, table):
        with target.read() as conn:
            found += _split(conn, table, rows)[2]
        if len(found) > _MAX_REPORTED:
            break
    return found


def _copy_table(source: Store, target: Store, table: Table) -> TableCopy:
    item = TableCopy(table.name)
    for rows in _batches(source, table):
        with target.write() as conn:
            new, present, conflicts = _split(conn, table, rows)
            if conflicts:  # written to meanwhile by someone else
                raise MlopsUsageError(
                    f"The target store changed during the copy: {conflicts[0]} differs; "
                    "run the migration again."
                )
            if new:
                conn.execute(table.insert(), new)
        item.copied += len(new)
        item.present += present
    return item


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
