"""Reading and writing dataset rows: datasets, versions, tags and run links."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, RowMapping, func, insert, select
from sqlalchemy.exc import IntegrityError

from jupyter_mlops.data.names import Ref
from jupyter_mlops.data.version import DatasetVersion
from jupyter_mlops.errors import ConflictError, NotFoundError
from jupyter_mlops.store import Store
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.order import code_point

ds = t.datasets
dv = t.dataset_versions
dvt = t.dataset_version_tags
#: attempts at inserting a version when concurrent writers take the same number
ATTEMPTS = 8

_VERSION_COLUMNS = [*dv.c, ds.c.name]


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def to_version(store: Store, row: RowMapping, tags: dict[str, str]) -> DatasetVersion:
    return DatasetVersion(
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
        id=int(row["id"]),
        store=store,
    )


def tags_of(conn: Connection, version_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Tags of several versions: ``{version_id: {key: value}}``."""
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


def _versions(conn: Connection, *where: Any) -> list[RowMapping]:
    stmt = select(*_VERSION_COLUMNS).join(ds, ds.c.id == dv.c.dataset_id).where(*where)
    return list(conn.execute(stmt.order_by(code_point(ds.c.name), dv.c.version)).mappings())


def load(store: Store, conn: Connection, rows: list[RowMapping]) -> list[DatasetVersion]:
    tags = tags_of(conn, [int(r["id"]) for r in rows])
    return [to_version(store, r, tags[int(r["id"])]) for r in rows]


def resolve(store: Store, conn: Connection, ref: Ref) -> DatasetVersion:
    """The version ``ref`` names (the latest for a bare name).

    Raises:
        NotFoundError: No such dataset or version, with what to do about it.
    """
    dataset_id = conn.execute(select(ds.c.id).where(ds.c.name == ref.name)).scalar()
    if dataset_id is None:
        raise NotFoundError(
            f"No dataset {ref.name!r} — `mlops.data.list()` shows the datasets.", ref=str(ref)
        )
    latest = latest_number(conn, dataset_id)
    if latest is None:
        raise NotFoundError(f"Dataset {ref.name!r} has no versions yet.", ref=str(ref))
    number = latest if ref.version is None else ref.version
    rows = _versions(conn, dv.c.dataset_id == dataset_id, dv.c.version == number)
    if not rows:
        raise NotFoundError(
            f"Dataset {ref.name!r} has no version {number} (latest is {latest}) — "
            f"`mlops.data.list({ref.name!r})` shows its versions.",
            ref=str(ref),
        )
    return load(store, conn, rows)[0]


def latest_number(conn: Connection, dataset_id: int) -> int | None:
    value = conn.execute(
        select(func.max(dv.c.version)).where(dv.c.dataset_id == dataset_id)
    ).scalar()
    return None if value is None else int(value)


def latest_version(store: Store, name: str) -> DatasetVersion | None:
    """The latest version of ``name``, or None when there is no such dataset."""
    with store.read() as conn:
        dataset_id = conn.execute(select(ds.c.id).where(ds.c.name == name)).scalar()
        if dataset_id is None:
            return None
        number = latest_number(conn, dataset_id)
        rows = _versions(conn, dv.c.dataset_id == dataset_id, dv.c.version == number)
        return load(store, conn, rows)[0] if rows else None


def with_digest(store: Store, digest: str) -> list[DatasetVersion]:
    """Every version whose content has ``digest``, oldest first."""
    with store.read() as conn:
        return load(store, conn, _versions(conn, dv.c.digest == digest))


def of_kind(store: Store, kind: str) -> list[DatasetVersion]:
    """Every version of one kind (``folder``, ``file``, ``dataframe``)."""
    with store.read() as conn:
        return load(store, conn, _versions(conn, dv.c.kind == kind))


def all_versions(store: Store, name: str | None = None) -> list[DatasetVersion]:
    """Every version (of one dataset), by name then number."""
    with store.read() as conn:
        where = [] if name is None else [ds.c.name == name]
        return load(store, conn, _versions(conn, *where))


def insert_version(
    store: Store, name: str, values: dict[str, Any], *, description: str | None
) -> tuple[DatasetVersion, bool]:
    """Record a version of ``name`` unless its latest version has the same digest.

    Creating the dataset, numbering and inserting the version happen in one transaction.
    Two writers that pick the same number (possible on PostgreSQL; SQLite serializes
    writers) collide on the unique (dataset, version) key and the loser tries again.

    Returns:
        The version, and whether it was created (False: the latest version already had
        this content).
    """
    for attempt in range(ATTEMPTS):
        try:
            with store.write() as conn:
                now = time.time()
                dataset_id = conn.execute(select(ds.c.id).where(ds.c.name == name)).scalar()
                if dataset_id is None:
                    result = conn.execute(
                        insert(ds).values(name=name, description=description, created_at=now)
                    )
                    dataset_id = result.inserted_primary_key[0]  # type: ignore[index]
                latest = latest_number(conn, dataset_id)
                if latest is not None:
                    rows = _versions(conn, dv.c.dataset_id == dataset_id, dv.c.version == latest)
                    if rows and rows[0]["digest"] == values["digest"]:
                        return load(store, conn, rows)[0], False
                number = (latest or 0) + 1
                conn.execute(
                    insert(dv).values(
                        dataset_id=dataset_id,
                        version=number,
                        description=description,
                        created_at=now,
                        **values,
                    )
                )
                rows = _versions(conn, dv.c.dataset_id == dataset_id, dv.c.version == number)
                return load(store, conn, rows)[0], True
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
    """Set (insert or replace) tags on a version."""
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


def run_links(store: Store, run_id: str) -> list[tuple[DatasetVersion, str, str]]:
    """The versions a run is linked to, with role and direction."""
    links = t.run_dataset_links
    with store.read() as conn:
        found = conn.execute(
            select(links.c.version_id, links.c.role, links.c.direction)
            .where(links.c.run_id == run_id)
            .order_by(links.c.created_at)
        ).all()
        ids = sorted({int(r[0]) for r in found})
        versions = {v.id: v for v in load(store, conn, _versions(conn, dv.c.id.in_(ids)))}
    return [(versions[int(vid)], role, direction) for vid, role, direction in found]


def dataset_descriptions(store: Store) -> dict[str, str | None]:
    with store.read() as conn:
        return {row[0]: row[1] for row in conn.execute(select(ds.c.name, ds.c.description))}
