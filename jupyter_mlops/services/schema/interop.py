"""Importing from another tracking system: what to read, and what came over."""

from __future__ import annotations

from pydantic import Field

from jupyter_mlops.services.schema.base import Request, Response


class MlflowImportRequest(Request):
    """``import mlflow``: the MLflow store to read and which of its experiments."""

    source: str = Field(
        min_length=1,
        description="the MLflow tracking URI to read: sqlite:///mlflow.db, file:./mlruns, "
        "postgresql://..., http(s)://host",
    )
    experiments: list[str] | None = Field(
        default=None, description="import only this experiment (by name); default: all"
    )


class MlflowImport(Response):
    """What an MLflow import read, wrote, merged and could not map."""

    source: str
    experiments_created: list[str]
    experiments_merged: list[str] = Field(
        description="experiments the store already had: the imported runs joined them"
    )
    runs_imported: int
    runs_present: int = Field(description="runs imported before, left as they were")
    runs_updated: int = Field(description="runs imported before that changed on the source")
    runs_deleted: int = Field(
        description="runs deleted in MLflow, imported and tagged mlflow.lifecycle=deleted"
    )
    params: int
    tags: int
    metric_points: int
    artifacts: int
    artifact_bytes: int
    parents_linked: int
    model_versions: int = Field(description="registered model versions added")
    stages_set: int = Field(description="stages set from MLflow aliases and old stages")
    not_mapped: list[str] = Field(description="what the store could not take, one line each")
    seconds: float


class MlflowExportRequest(Request):
    """``export mlflow``: the MLflow store to write and which of our experiments."""

    target: str = Field(
        min_length=1,
        description="the MLflow tracking URI to write: sqlite:///mlflow.db, file:./mlruns, "
        "postgresql://..., http(s)://host",
    )
    experiments: list[str] | None = Field(
        default=None, description="export only these experiments (by name); default: all"
    )
    trusted: bool = Field(
        default=False,
        description="let MLflow load exported pickle models (models registered as pickles)",
    )


class MlflowExport(Response):
    """What an MLflow export wrote, found there already, and could not map."""

    target: str
    experiments_created: list[str]
    experiments_merged: list[str] = Field(
        description="experiments the MLflow store already had: the exported runs joined them"
    )
    runs_exported: int
    runs_present: int = Field(description="runs an earlier export wrote, left as they were")
    params: int
    tags: int
    metric_points: int
    artifacts: int
    parents_linked: int
    models_created: int = Field(description="registered models created in MLflow")
    model_versions: int = Field(description="model versions added to MLflow")
    aliases_set: int = Field(description="aliases set from stages (and imported aliases)")
    not_mapped: list[str] = Field(description="what MLflow could not take, one line each")
    seconds: float
