"""Datasets and their versions for the REST API."""

from __future__ import annotations

from jupyter_mlops.data import listing, records
from jupyter_mlops.data.names import check_name
from jupyter_mlops.data.service import Datasets
from jupyter_mlops.data.version import DatasetVersion
from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.services import schema
from jupyter_mlops.services.runs import artifact_url
from jupyter_mlops.store import Store


def list_datasets(store: Store) -> schema.DatasetList:
    """Every dataset with its latest version."""
    frame = listing.datasets_frame(store)
    items = [
        schema.DatasetSummary(
            name=row["name"],
            latest=int(row["latest"]),
            versions=int(row["versions"]),
            format=row["format"],
            size=int(row["size"]),
            rows=None if row["rows"] is None or row["rows"] != row["rows"] else int(row["rows"]),
            digest=row["digest"],
            created_at=row["created_at"].timestamp(),
            description=row["description"],
        )
        for row in frame.astype(object).where(frame.notna(), None).to_dict("records")
    ]
    return schema.DatasetList(items=items)  # by name, in code-point order (data.listing)


def version_info(v: DatasetVersion) -> schema.DatasetVersionInfo:
    """The wire form of one dataset version."""
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
        tags=v.tags,  # in code-point order (data.records)
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
    versions = records.all_versions(store, check_name(name))
    if not versions:
        raise NotFoundError(f"No dataset {name!r}.")
    return schema.DatasetVersionList(name=name, items=[version_info(v) for v in versions])


def get_version(store: Store, name: str, version: int) -> schema.DatasetVersionInfo:
    """Version ``name@version``.

    Raises:
        NotFoundError: no such dataset or version.
    """
    return version_info(Datasets(store).get(f"{check_name(name)}@{version}"))
