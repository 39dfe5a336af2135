"""Datasets, their versions, tags and run links, and the file state cache: all their SQL.

Versions come back as :class:`VersionRow` (schema and profile decoded, tags attached, in
code-point order), datasets as :class:`DatasetRow`; ``jupyter_mlops.data`` turns them into
the objects users see.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, insert, select
from sqlalchemy.exc import IntegrityError

from jupyter_mlops.errors import ConflictError, NotFoundError
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store
from jupyter_mlops.store.order import code_point

ds = t.datasets
dv = t.dataset_versions
dvt = t.dataset_version_tags
fs = t.file_state
#: attempts at inserting a version when concurrent writers take the same number
ATTEMPTS = 8
#: paths looked up in the file state cache per query
_QUERY_BATCH = 500

_VERSION_COLUMNS = [*dv.c, ds.c.name]


@dataclass(frozen=True)
class VersionRow:
    """One dataset version as stored, with its tags."""

    id: int
    name: str
    version: int
    digest: str
    size: int
    format: str
    kind: str
    source_path: str | None
    schema: list[dict[str, str]] | None
    row_count: int | None
    profile: dict[str, dict[str, Any]] | None
    description: str | None
    tags: dict[str, str]
    created_at: float
    created_by: str | None
    run_id: str | None


@dataclass(frozen=True)
class DatasetRow:
    """A dataset described by its latest version."""

    name: str
    latest: int
    versions: int
    format: str
    size: int
    rows: int | None
    digest: str
    created_at: float
    description: str | None


@dataclass(frozen=True)
class FileStateRow:
    """A cached digest of a local file and the stat it was computed from."""

    path: str
    size: int
    mtime_ns: int
    inode: int
    digest: str
    checked_at: float


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _row(row: RowMapping, tags: dict[str, str]) -> VersionRow:
    return VersionRow(
        id=int(row["id"]),
        name=row["name"],
        version=int(row["version"]),
        digest=row["digest"],
        size=int(row["size"]),
        format=row["format"],
        kind=row["kind"],
        source_path=row["source_path"],
        schema=_loads(row["schema"]),
        row_count=None if row["row_count"] is None else int(row["row_count"]),
        profile=_loads(row["profile"]),
        description=row["description"],
        tags=tags,
        created_at=float(row["created_at"]),
        created_by=row["created_by"],
        run_id=row["run_id"],
    )


def _tags_of(conn: Connection, version_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    ids = list(version_ids)
    out: dict[int, dict[str, str]] = {i: {} for i in ids}
    if ids:
        rows = conn.execute(
            select(dvt.c.version_id, dvt.c.key, dvt.c.value)
            .where(dvt.c.version_id.in_(ids))
            .order_by(code_point(dvt.c.key))
        )
        for version_id, key, value in rows:
            out[version_id][key] = value
    return out


def _versions(conn: Connection, *where: Any) -> list[VersionRow]:
    """The versions matching ``where``, by name (code point) then number, with their tags."""
    stmt = select(*_VERSION_COLUMNS).join(ds, ds.c.id == dv.c.dataset_id).where(*where)
    rows = list(conn.execute(stmt.order_by(code_point(ds.c.name), dv.c.version)).mappings())
    tags = _tags_of(conn, [int(r["id"]) for r in rows])
    return [_row(r, tags[int(r["id"])]) for r in rows]


def _latest_number(conn: Connection, dataset_id: int) -> int | None:
    value = conn.execute(
        select(func.max(dv.c.version)).where(dv.c.dataset_id == dataset_id)
    ).scalar()
    return None if value is None else int(value)


def _dataset_id(conn: Connection, name: str) -> int | None:
    found = conn.execute(select(ds.c.id).where(ds.c.name == name)).scalar()
    return None if found is None else int(found)


def resolve(store: Store, name: str, version: int | None) -> VersionRow:
    """Version ``version`` of dataset ``name`` (None: the latest).

    Raises:
        NotFoundError: No such dataset or version, with what to do about it.
    """
    ref = name if version is None else f"{name}@{version}"
    with store.read() as conn:
        dataset_id = _dataset_id(conn, name)
        if dataset_id is None:
            raise NotFoundError(
                f"No dataset {name!r} — `mlops.data.list()` shows the datasets.", ref=ref
            )
        latest = _latest_number(conn, dataset_id)
        if latest is None:
            raise NotFoundError(f"Dataset {name!r} has no versions yet.", ref=ref)
        number = latest if version is None else version
        rows = _versions(conn, dv.c.dataset_id == dataset_id, dv.c.version == number)
    if not rows:
        raise NotFoundError(
            f"Dataset {name!r} has no version {number} (latest is {latest}) — "
            f"`mlops.data.list({name!r})` shows its versions.",
            ref=ref,
        )
    return rows[0]


def latest_version(store: Store, name: str) -> VersionRow | None:
    """The latest version of ``name``, or None when there is no such dataset."""
    with store.read() as conn:
        dataset_id = _dataset_id(conn, name)
        if dataset_id is None:
            return None
        number = _latest_number(conn, dataset_id)
        rows = _versions(conn, dv.c.dataset_id == dataset_id, dv.c.version == number)
    return rows[0] if rows else None


def with_digest(store: Store, digest: str) -> list[VersionRow]:
    """Every version whose content has ``digest``, by name then number."""
    with store.read() as conn:
        return _versions(conn, dv.c.digest == digest)


def of_kind(store: Store, kind: str) -> list[VersionRow]:
    """Every version of one kind (``folder``, ``file``, ``dataframe``)."""
    with store.read() as conn:
        return _versions(conn, dv.c.kind == kind)


def versions(store: Store, name: str | None = None) -> list[VersionRow]:
    """Every version (of dataset ``name``), by name then number."""
    with store.read() as conn:
        return _versions(conn, *([] if name is None else [ds.c.name == name]))


def datasets(store: Store) -> list[DatasetRow]:
    """One row per dataset with a version, describing its latest version, by name."""
    latest = (
        select(
            dv.c.dataset_id,
            func.max(dv.c.version).label("latest"),
            func.count().label("versions"),
        )
        .group_by(dv.c.dataset_id)
        .subquery()
    )
    stmt = (
        select(
            ds.c.name,
            latest.c.latest,
            latest.c.versions,
            dv.c.format,
            dv.c.size,
            dv.c.row_count,
            dv.c.digest,
            dv.c.created_at,
            ds.c.description,
        )
        .join(latest, latest.c.dataset_id == ds.c.id)
        .join(dv, and_(dv.c.dataset_id == ds.c.id, dv.c.version == latest.c.latest))
        .order_by(code_point(ds.c.name))
    )
    with store.read() as conn:
        rows = conn.execute(stmt).all()
    return [
        DatasetRow(
            name=name,
            latest=int(number),
            versions=int(count),
            format=fmt,
            size=int(size),
            rows=None if rows_ is None else int(rows_),
            digest=digest,
            created_at=float(created),
            description=description,
        )
        for name, number, count, fmt, size, rows_, digest, created, description in rows
    ]


def insert_version(
    store: Store, name: str, values: dict[str, Any], *, description: str | None
) -> tuple[VersionRow, bool]:
    """Record a version of ``name`` unless its latest version has the same digest.

    ``values`` are the version's columns (``schema`` and ``profile`` as plain data).
    Creating the dataset, numbering and inserting the version happen in one transaction.
    Two writers that pick the same number (possible on PostgreSQL; SQLite serializes
    writers) collide on the unique (dataset, version) key and the loser tries again.

    Returns:
        The version, and whether it was created (False: the latest version already had
        this content).

    Raises:
        ConflictError: other writers kept taking the number this one picked.
    """
    columns = dict(values)
    for key in ("schema", "profile"):
        if columns.get(key) is not None:
            columns[key] = json.dumps(columns[key])
    for attempt in range(ATTEMPTS):
        try:
            with store.write() as conn:
                now = time.time()
                dataset_id = _dataset_id(conn, name)
                if dataset_id is None:
                    result = conn.execute(
                        insert(ds).values(name=name, description=description, created_at=now)
                    )
                    dataset_id = int(result.inserted_primary_key[0])  # type: ignore[index]
                latest = _latest_number(conn, dataset_id)
                if latest is not None:
                    rows = _versions(conn, dv.c.dataset_id == dataset_id, dv.c.version == latest)
                    if rows and rows[0].digest == columns["digest"]:
                        return rows[0], False
                number = (latest or 0) + 1
                conn.execute(
                    insert(dv).values(
                        dataset_id=dataset_id,
                        version=number,
                        description=description,
                        created_at=now,
                        **columns,
                    )
                )
                rows = _versions(conn, dv.c.dataset_id == dataset_id, dv.c.version == number)
                return rows[0], True
        except IntegrityError as exc:
            if "unique" not in str(exc.orig).lower():
                raise  # a real error, not a lost race for a number
            if attempt == ATTEMPTS - 1:
                raise ConflictError(
                    f"Could not number a new version of {name!r}: other writers kept taking "
                    "the same number. Try again."
                ) from None
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def set_tags(store: Store, version_id: int, tags: dict[str, str]) -> None:
    """Set (insert or replace) tags on a version, in one transaction."""
    with store.write() as conn:
        store.insert_or_update(
            conn,
            dvt,
            [{"version_id": version_id, "key": k, "value": v} for k, v in tags.items()],
            ["version_id", "key"],
            ["value"],
        )


def link_run(store: Store, run_id: str, version_id: int, role: str, direction: str) -> None:
    """Record that a run used (input) or produced (output) a version in a role."""
    with store.write() as conn:
        store.insert_or_update(
            conn,
            t.run_dataset_links,
            [
                {
                    "run_id": run_id,
                    "version_id": version_id,
                    "role": role,
                    "direction": direction,
                    "created_at": time.time(),
                }
            ],
            ["run_id", "version_id", "role"],
            ["direction"],
        )


# -- the file state cache ----------------------------------------------------------------


def file_states(store: Store, host: str, paths: list[str]) -> dict[str, FileStateRow]:
    """The cached entries of ``paths`` on ``host``, by path (paths without one are absent)."""
    found: dict[str, FileStateRow] = {}
    with store.read() as conn:
        for start in range(0, len(paths), _QUERY_BATCH):
            batch = paths[start : start + _QUERY_BATCH]
            rows = conn.execute(
                select(
                    fs.c.path, fs.c.size, fs.c.mtime_ns, fs.c.inode, fs.c.digest, fs.c.checked_at
                ).where(fs.c.host == host, fs.c.path.in_(batch))
            )
            for path, size, mtime_ns, inode, digest, checked_at in rows:
                found[path] = FileStateRow(
                    path, int(size), int(mtime_ns), int(inode), digest, float(checked_at)
                )
    return found


def save_file_states(store: Store, host: str, states: list[FileStateRow]) -> None:
    """Record (or replace) the entries of files on ``host``, in one transaction."""
    if not states:
        return
    with store.write() as conn:
        store.insert_or_update(
            conn,
            fs,
            [
                {
                    "host": host,
                    "path": s.path,
                    "size": s.size,
                    "mtime_ns": s.mtime_ns,
                    "inode": s.inode,
                    "digest": s.digest,
                    "checked_at": s.checked_at,
                }
                for s in states
            ],
            ["host", "path"],
            ["size", "mtime_ns", "inode", "digest", "checked_at"],
        )
