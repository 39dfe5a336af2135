"""Datasets: every dataset, one dataset's versions, one version, a diff; adding, tagging and
checking out versions.

Every face asks these functions, which ask the Python API's domain (``mlops.data``): the
REST API sends their records, the CLI prints them (``--format json`` is the same JSON), the
magics and panels render them. Versions are named ``NAME`` (the latest) or ``NAME@N``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_mlops.data import api, listing
from jupyter_mlops.data.names import check_name
from jupyter_mlops.data.service import Datasets
from jupyter_mlops.data.version import DatasetVersion
from jupyter_mlops.services import schema
from jupyter_mlops.services.runs import artifact_url
from jupyter_mlops.store import Store

if TYPE_CHECKING:
    import pandas as pd


def list_datasets(store: Store) -> schema.DatasetList:
    """Every dataset with its latest version, by name in code-point order."""
    items = [
        schema.DatasetSummary(
            name=row.name,
            latest=row.latest,
            versions=row.versions,
            format=row.format,
            size=row.size,
            rows=row.rows,
            digest=row.digest,
            created_at=row.created_at,
            description=row.description,
        )
        for row in listing.datasets(store)
    ]
    return schema.DatasetList(items=items)


def version_info(v: DatasetVersion) -> schema.DatasetVersionInfo:
    """The record of one dataset version."""
    return schema.DatasetVersionInfo(
        name=v.name,
        version=v.version,
        ref=v.ref,
        digest=v.digest,
        size=v.size,
        format=v.format,
        kind=v.kind,
        columns=v.schema,
        row_count=v.row_count,
        profile=v.profile,
        tags=v.tags,  # in code-point order (store.datasets)
        created_at=v.created_at,
        created_by=v.created_by,
        run_id=v.run_id,
        source_path=v.source_path,
        description=v.description,
        url=artifact_url(v.digest, v.filename),
    )


def list_versions(store: Store, name: str) -> schema.DatasetVersionList:
    """The versions of dataset ``name``, oldest first.

    Raises:
        NotFoundError: no dataset has that name.
    """
    versions = listing.versions(store, name)
    return schema.DatasetVersionList(name=name, items=[version_info(v) for v in versions])


def _ref(name: str, version: int) -> str:
    return f"{check_name(name)}@{version}"


def show(store: Store, ref: str) -> schema.DatasetVersionInfo:
    """Version ``ref``: ``NAME`` (the latest) or ``NAME@N``.

    Raises:
        MlopsUsageError: a malformed reference.
        NotFoundError: no such dataset or version.
    """
    return version_info(api.get(ref, store=store))


def get_version(store: Store, name: str, version: int) -> schema.DatasetVersionInfo:
    """Version ``name@version``.

    Raises:
        NotFoundError: no such dataset or version.
    """
    return show(store, _ref(name, version))


def diff(store: Store, a: str, b: str) -> schema.DatasetDiff:
    """What changed from version ``a`` to version ``b`` (each ``NAME`` or ``NAME@N``).

    Raises:
        NotFoundError: no such dataset or version.
    """
    return schema.DatasetDiff.model_validate(api.diff(a, b, store=store).to_dict())


def diff_versions(store: Store, name: str, query: schema.DatasetDiffQuery) -> schema.DatasetDiff:
    """What changed from version ``query.from_`` to version ``query.to`` of dataset ``name``.

    Raises:
        NotFoundError: no such dataset or version.
    """
    return diff(store, _ref(name, query.from_), _ref(name, query.to))


def add(store: Store, request: schema.DatasetAddRequest) -> schema.DatasetVersionInfo:
    """Version the file or folder ``request.path`` (relative to the working directory).

    Content equal to the dataset's latest version gives that version back; other content
    becomes the next version.

    Raises:
        MlopsUsageError: a missing path, an empty folder, a bad name.
    """
    version = api.add(
        request.path,
        request.name,
        description=request.description,
        link=request.link,
        store=store,
    )
    return version_info(version)


def add_frame(
    store: Store, frame: pd.DataFrame, request: schema.DatasetAddRequest
) -> schema.DatasetVersionInfo:
    """Version ``frame`` (stored as Parquet); ``request.path`` names the variable that holds
    it, the dataset's name unless ``request.name`` gives another.

    Raises:
        MlopsUsageError: a bad name.
    """
    version = api.add(
        frame, request.name or request.path, description=request.description, store=store
    )
    return version_info(version)


def tag(store: Store, ref: str, request: schema.DatasetTagRequest) -> schema.DatasetVersionInfo:
    """Set ``request.tags`` on version ``ref`` (``NAME`` or ``NAME@N``) and return it.

    Raises:
        MlopsUsageError: a malformed reference or tag key.
        NotFoundError: no such dataset or version.
    """
    return version_info(Datasets(store).set_tags(ref, request.tags))


def tag_version(
    store: Store, name: str, version: int, request: schema.DatasetTagRequest
) -> schema.DatasetVersionInfo:
    """Set ``request.tags`` on version ``name@version`` and return it.

    Raises:
        MlopsUsageError: a malformed tag key.
        NotFoundError: no such dataset or version.
    """
    return tag(store, _ref(name, version), request)


def checkout(
    store: Store, ref: str, request: schema.DatasetCheckoutRequest
) -> schema.DatasetCheckout:
    """Write a writable copy of version ``ref`` at ``request.dest``, verifying every file.

    Raises:
        MlopsUsageError: ``dest`` exists (without ``force``), or is a file for a folder.
        ArtifactIntegrityError: a stored object no longer matches its digest.
    """
    version = api.get(ref, store=store)
    path = api.checkout(version.ref, request.dest, force=request.force, store=store)
    return schema.DatasetCheckout(path=str(path), version=version_info(version))
