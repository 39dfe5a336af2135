"""Dataset versions from the store's rows (:mod:`jupyter_mlops.store.datasets`), as
:class:`DatasetVersion` objects bound to their store."""

from __future__ import annotations

from typing import Any

from jupyter_mlops.data.names import Ref
from jupyter_mlops.data.version import DatasetVersion
from jupyter_mlops.store import Store
from jupyter_mlops.store import datasets as q
from jupyter_mlops.store.datasets import link_run, set_tags

__all__ = [
    "all_versions",
    "insert_version",
    "latest_version",
    "link_run",
    "of_kind",
    "resolve",
    "set_tags",
    "to_version",
    "with_digest",
]


def to_version(store: Store, row: q.VersionRow) -> DatasetVersion:
    """The version a stored row describes."""
    return DatasetVersion(
        name=row.name,
        version=row.version,
        digest=row.digest,
        size=row.size,
        format=row.format,
        kind=row.kind,
        source_path=row.source_path,
        schema=row.schema,
        row_count=row.row_count,
        profile=row.profile,
        description=row.description,
        tags=row.tags,
        created_at=row.created_at,
        created_by=row.created_by,
        run_id=row.run_id,
        id=row.id,
        store=store,
    )


def resolve(store: Store, ref: Ref) -> DatasetVersion:
    """The version ``ref`` names (the latest for a bare name).

    Raises:
        NotFoundError: No such dataset or version, with what to do about it.
    """
    return to_version(store, q.resolve(store, ref.name, ref.version))


def latest_version(store: Store, name: str) -> DatasetVersion | None:
    """The latest version of ``name``, or None when there is no such dataset."""
    row = q.latest_version(store, name)
    return None if row is None else to_version(store, row)


def with_digest(store: Store, digest: str) -> list[DatasetVersion]:
    """Every version whose content has ``digest``, by name then number."""
    return [to_version(store, row) for row in q.with_digest(store, digest)]


def of_kind(store: Store, kind: str) -> list[DatasetVersion]:
    """Every version of one kind (``folder``, ``file``, ``dataframe``)."""
    return [to_version(store, row) for row in q.of_kind(store, kind)]


def all_versions(store: Store, name: str | None = None) -> list[DatasetVersion]:
    """Every version (of one dataset), by name then number."""
    return [to_version(store, row) for row in q.versions(store, name)]


def insert_version(
    store: Store, name: str, values: dict[str, Any], *, description: str | None
) -> tuple[DatasetVersion, bool]:
    """Record a version of ``name`` unless its latest version has the same digest.

    Returns:
        The version, and whether it was created (False: the latest version already had
        this content).
    """
    row, created = q.insert_version(store, name, values, description=description)
    return to_version(store, row), created
