"""The run page: a run's note, previews of its artifacts and notebook, and its links."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from jupyter_mlops.services.schema.base import Request, Response
from jupyter_mlops.services.schema.runs import RunDatasetLink

PreviewKind = Literal["image", "html", "table", "json", "text", "notebook", "none"]


class RunNoteRequest(Request):
    """The markdown note to keep on a run (empty: remove it)."""

    note: str = Field(description="markdown text; stored as the run's mlflow.note.content tag")


class RunNote(Response):
    """A run's markdown note and the same rendered as HTML (raw HTML in it escaped)."""

    run_id: str
    note: str
    html: str


class PreviewQuery(Request):
    """Which artifact of the run to preview, and how many rows of a table."""

    path: str = Field(description="the artifact's path as the run logged it")
    rows: int = Field(50, ge=1, le=1000, description="at most N rows of a table (default 50)")


class PreviewTable(Response):
    """The first rows of a CSV or Parquet artifact, every value as text."""

    columns: list[str]
    rows: list[list[str | None]]
    total_rows: int | None = Field(description="rows in the whole file when known cheaply")


class NotebookOutputPreview(Response):
    """One output of a notebook cell: text, an image (a data URL) or HTML."""

    kind: Literal["text", "image", "html", "error"]
    text: str


class NotebookCellPreview(Response):
    """One cell of a notebook: its source, and for markdown the rendered HTML."""

    cell_type: str
    source: str
    html: str | None = Field(description="a markdown cell rendered (raw HTML escaped)")
    execution_count: int | None
    outputs: list[NotebookOutputPreview]


class ArtifactPreview(Response):
    """What to show of an artifact inline; ``message`` says why when there is nothing."""

    run_id: str
    path: str
    kind: PreviewKind
    media_type: str
    size: int
    url: str = Field(description="downloads the whole object (below the server's base URL)")
    text: str | None = Field(description="html, json (indented) or text")
    table: PreviewTable | None
    cells: list[NotebookCellPreview] | None
    truncated: bool = Field(description="only the start is shown")
    message: str | None = Field(description="why there is no preview, or what was left out")


class ModelVersionLink(Response):
    """A registered model version a run produced."""

    name: str
    version: int
    uri: str = Field(description="models:/NAME/VERSION")
    stages: list[str]


class PipelineLink(Response):
    """The pipeline run a run belongs to: as one of its steps, or as its parent run."""

    pipeline_run_id: str
    pipeline: str
    status: str
    step: str | None = Field(description="the step this run executed; null for the parent run")
    output_notebook: str | None = Field(
        description="the executed notebook relative to the server's root, to open it"
    )


class CertificateInfo(Response):
    """A reproduction of the run: its verdict and the run that re-executed it."""

    id: int
    verdict: str
    tolerance: float
    created_at: float
    reproduction_run_id: str | None
    message: str
    cause: str | None


class RunLinks(Response):
    """What a run is linked to: data, models, pipeline run, reproductions."""

    run_id: str
    datasets: list[RunDatasetLink]
    models: list[ModelVersionLink]
    pipeline: PipelineLink | None
    reproductions: list[CertificateInfo] = Field(description="newest first")
    reproduction_of: str | None = Field(description="the run this run reproduced, if it did")
