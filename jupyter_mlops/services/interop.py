"""``import mlflow`` and ``export mlflow``: an MLflow tracking store's history in and out."""

from __future__ import annotations

from collections.abc import Callable

from jupyter_mlops.interop import Progress
from jupyter_mlops.interop import export_mlflow as _export_mlflow
from jupyter_mlops.interop import import_mlflow as _import_mlflow
from jupyter_mlops.services import schema
from jupyter_mlops.store import Store

__all__ = ["Progress", "export_mlflow", "import_mlflow"]


def import_mlflow(
    store: Store,
    request: schema.MlflowImportRequest,
    *,
    progress: Callable[[Progress], None] | None = None,
) -> schema.MlflowImport:
    """Import the MLflow store ``request.source`` names (idempotent, resumable)."""
    report = _import_mlflow(
        request.source, experiments=request.experiments, store=store, progress=progress
    )
    return schema.MlflowImport.model_validate(report.to_dict())


def export_mlflow(
    store: Store,
    request: schema.MlflowExportRequest,
    *,
    progress: Callable[[Progress], None] | None = None,
) -> schema.MlflowExport:
    """Export runs and registered models into the MLflow store ``request.target`` (idempotent)."""
    report = _export_mlflow(
        request.target,
        experiments=request.experiments,
        trusted=request.trusted,
        store=store,
        progress=progress,
    )
    return schema.MlflowExport.model_validate(report.to_dict())
