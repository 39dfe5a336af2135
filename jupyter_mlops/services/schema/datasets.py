"""Datasets and their versions."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from jupyter_mlops.services.schema.base import Response


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
