"""Datasets and their versions: listing, one version, a diff, adding, tagging, checking out."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from jupyter_mlops.services.schema.base import MAX_WHOLE, Request, Response

#: How added files reach the object store (see :mod:`jupyter_mlops.data.ingest`).
LinkMode = Literal["auto", "copy", "reflink", "hardlink"]


class DatasetSummary(Response):
    """A dataset with its latest version."""

    name: str
    latest: int
    versions: int
    format: str
    size: int
    rows: int | None
    digest: str
    created_at: float
    description: str | None


class DatasetList(Response):
    """Every dataset, by name."""

    items: list[DatasetSummary]


class DatasetVersionInfo(Response):
    """One version ``name@N`` of a dataset."""

    name: str
    version: int
    ref: str
    digest: str
    size: int
    format: str
    kind: str
    columns: list[dict[str, str]] | None = Field(description="the schema: name and dtype")
    row_count: int | None
    profile: dict[str, dict[str, Any]] | None
    tags: dict[str, str]
    created_at: float
    created_by: str | None
    run_id: str | None
    source_path: str | None
    description: str | None
    url: str


class DatasetVersionList(Response):
    """The versions of one dataset, oldest first."""

    name: str
    items: list[DatasetVersionInfo]


class DatasetAddRequest(Request):
    """Version a file or a folder as the next version of a dataset."""

    path: str = Field(
        min_length=1,
        description="a file or a folder (in a notebook, also the name of a DataFrame variable)",
    )
    name: str | None = Field(
        None, description="the dataset (default: PATH's name without its extension)"
    )
    description: str | None = Field(None, description="a note stored with the version")
    link: LinkMode = Field(
        "auto",
        description="how files enter the store: auto (a reflink where possible, else a copy), "
        "copy, reflink, or hardlink (no copy, but the source becomes read-only)",
    )


class DatasetTagRequest(Request):
    """Tags to set on a version; a key it already has gets the new value."""

    tags: dict[str, str] = Field(description="the tags to set, KEY=VALUE")


class DatasetCheckoutRequest(Request):
    """Where to write a writable copy of a version (every file verified against its digest)."""

    dest: str = Field(min_length=1, description="a file path, or a folder to write into")
    force: bool = Field(False, description="overwrite a file, or write into a non-empty folder")


class DatasetCheckout(Response):
    """A version written out as a writable copy."""

    path: str = Field(description="the file or folder written")
    version: DatasetVersionInfo


class DatasetDiffQuery(Request):
    """Two versions of one dataset to compare."""

    from_: int = Field(alias="from", ge=1, le=MAX_WHOLE, description="the older version, N")
    to: int = Field(ge=1, le=MAX_WHOLE, description="the newer version, N")


class DatasetColumn(Response):
    """A column of a table version and its type."""

    name: str
    type: str


class DatasetRetyped(Response):
    """A column whose type changed between two versions."""

    name: str
    old: str
    new: str


class DatasetDiff(Response):
    """What changed from version ``a`` to version ``b``.

    ``digests``, ``sizes``, ``formats`` and ``rows`` are ``[a's, b's]``; ``profile`` maps a
    column both versions have to ``{statistic: [a's, b's]}`` for each statistic that changed;
    ``files`` (folders only) lists the paths ``added``, ``removed`` and ``changed``.
    """

    a: str
    b: str
    same_content: bool
    digests: list[str]
    sizes: list[int]
    formats: list[str]
    rows: list[int | None]
    row_change: int | None
    added: list[DatasetColumn]
    removed: list[DatasetColumn]
    retyped: list[DatasetRetyped]
    profile: dict[str, dict[str, list[Any]]]
    files: dict[str, list[str]] | None
