"""Datasets with their latest version, and one dataset's versions: as rows and as tables."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from jupyter_mlops.data import records
from jupyter_mlops.data.names import check_name
from jupyter_mlops.data.version import DatasetVersion
from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.store import Store
from jupyter_mlops.store import datasets as store_datasets
from jupyter_mlops.store.datasets import DatasetRow

DATASET_COLUMNS = [
    "name",
    "latest",
    "versions",
    "format",
    "size",
    "rows",
    "digest",
    "created_at",
    "description",
]
VERSION_COLUMNS = [
    "ref",
    "version",
    "format",
    "size",
    "rows",
    "digest",
    "created_at",
    "created_by",
    "run_id",
    "description",
    "tags",
]


def _times(frame: pd.DataFrame) -> pd.DataFrame:
    frame["created_at"] = pd.to_datetime(frame["created_at"], unit="s", utc=True)
    return frame


def datasets(store: Store) -> list[DatasetRow]:
    """Every dataset with a version, described by its latest version, by name (code point)."""
    return store_datasets.datasets(store)


def versions(store: Store, name: str) -> list[DatasetVersion]:
    """The versions of dataset ``name``, oldest first.

    Raises:
        MlopsUsageError: ``name`` is not a valid dataset name.
        NotFoundError: no dataset has that name.
    """
    found = records.all_versions(store, check_name(name))
    if not found:
        raise NotFoundError(f"No dataset {name!r} — `mlops.data.list()` shows the datasets.")
    return found


def datasets_frame(store: Store) -> pd.DataFrame:
    """One row per dataset, describing its latest version."""
    rows = [asdict(row) for row in datasets(store)]
    frame = pd.DataFrame(rows, columns=DATASET_COLUMNS)
    frame["rows"] = frame["rows"].astype("Int64")
    return _times(frame)


def versions_frame(store: Store, name: str) -> pd.DataFrame:
    """One row per version of dataset ``name``, oldest first."""
    rows = [
        {
            "ref": v.ref,
            "version": v.version,
            "format": v.format,
            "size": v.size,
            "rows": v.row_count,
            "digest": v.digest,
            "created_at": v.created_at,
            "created_by": v.created_by,
            "run_id": v.run_id,
            "description": v.description,
            "tags": ", ".join(f"{k}={val}" for k, val in sorted(v.tags.items())),
        }
        for v in versions(store, name)
    ]
    frame = pd.DataFrame(rows, columns=VERSION_COLUMNS)
    frame["rows"] = frame["rows"].astype("Int64")
    return _times(frame)
