"""Exporting a model version to run elsewhere: a container, KServe or MLflow."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from jupyter_mlops.services.schema.base import Request, Response

ExportFormat = Literal["container", "kserve", "mlflow"]


class ExportRequest(Request):
    """Write a registered model version into a folder another system can run."""

    uri: str = Field(description="models:/NAME@STAGE, models:/NAME/VERSION, or NAME@STAGE")
    format: ExportFormat = Field(
        description="container (a Docker build context), kserve (an InferenceService) "
        "or mlflow (an MLmodel folder)"
    )
    out: str = Field(description="the folder to write (new, or empty)")
    trusted: bool = Field(
        default=False, description="allow model formats that run code on load (pickle)"
    )


class ExportInfo(Response):
    """What an export wrote and how to run it."""

    uri: str
    model_name: str
    version: int
    stage: str | None
    format: ExportFormat
    out: str
    files: list[str]
    command: list[str]
