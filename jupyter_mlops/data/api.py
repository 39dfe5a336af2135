"""The module-level dataset API: each function works on the project's store by default."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from jupyter_mlops.data import listing
from jupyter_mlops.data.compare import DataDiff
from jupyter_mlops.data.ingest import LinkMode
from jupyter_mlops.data.service import Datasets
from jupyter_mlops.data.version import DatasetVersion
from jupyter_mlops.store import Store, current_store


def _service(store: Store | None) -> Datasets:
    return Datasets(store or current_store())


def add(
    source: Any,
    name: str | None = None,
    *,
    description: str | None = None,
    link: LinkMode = "auto",
    store: Store | None = None,
) -> DatasetVersion:
    """Version a file, a folder or a pandas DataFrame as dataset ``name``.

    Content goes into the content-addressed store once, however often it is added. Content
    identical to the latest version of ``name`` returns that version (no new number; the
    description is not changed); other content becomes the next version. CSV, TSV, Parquet
    and DataFrames also record schema, row count and a column profile.

    Args:
        source: A file path, a folder path (versioned as a manifest of its files) or a
            DataFrame (stored as Parquet).
        name: The dataset name (letters, digits, ``.``, ``_``, ``-``); for a path, defaults
            to its name without extension.
        description: A note stored with the version (and with the dataset when new).
        link: How files reach the object store: ``auto`` (reflink where possible, else copy),
            ``copy``, ``reflink`` or ``hardlink`` (fast, makes the source read-only; see
            :mod:`jupyter_mlops.data.ingest`).
        store: The store (default: the project's store).

    Returns:
        The version, e.g. ``churn@3``.

    Raises:
        MlopsUsageError: A missing path, an empty folder, a bad name, an unsupported object.
    """
    return _service(store).add(source, name, description=description, link=link)


def get(ref: str, *, store: Store | None = None) -> DatasetVersion:
    """Return version ``"name@N"``, or the latest version for ``"name"``.

    Raises:
        NotFoundError: No such dataset or version.
    """
    return _service(store).get(ref)


def list_datasets(name: str | None = None, *, store: Store | None = None) -> pd.DataFrame:
    """Return a table of datasets (with their latest version), or of the versions of ``name``.

    Raises:
        NotFoundError: ``name`` is not a dataset.
    """
    store = store or current_store()
    return listing.datasets_frame(store) if name is None else listing.versions_frame(store, name)


def diff(a: str, b: str, *, store: Store | None = None) -> DataDiff:
    """Compare two versions: content, row count, schema and per-column profile changes."""
    return _service(store).diff(a, b)


def checkout(
    ref: str, dest: str | os.PathLike[str], *, force: bool = False, store: Store | None = None
) -> Path:
    """Write a normal, writable copy of a version to ``dest``, verifying every digest.

    Args:
        ref: ``"name@N"`` or ``"name"``.
        dest: A file path, or a folder (a file version is written inside it under its name;
            a folder version's files are written into it).
        force: Overwrite an existing file, or write into a non-empty folder.
        store: The store (default: the project's store).

    Returns:
        The path written.

    Raises:
        ArtifactIntegrityError: A stored object no longer matches its digest.
    """
    return _service(store).checkout(ref, dest, force=force)


def tag(ref: str, key: str, value: Any, *, store: Store | None = None) -> DatasetVersion:
    """Set tag ``key=value`` on a version (replacing an earlier value) and return it."""
    return _service(store).tag(ref, key, value)
