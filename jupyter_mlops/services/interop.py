"""``import mlflow``: bring an MLflow tracking store's history into the project's store."""

from __future__ import annotations

from collections.abc import Callable

from jupyter_mlops.interop import import_mlflow as _import_mlflow
from jupyter_mlops.services import schema
from jupyter_mlops.store import Store

__all__ = ["import_mlflow"]


def import_mlflow(
    store: Store,
    request: schema.MlflowImportRequest,
    *,
    progress: Callable[[str], None] | None = None,
) -> schema.MlflowImport:
    """Import the MLflow store ``request.source`` names (idempotent, resumable)."""
    report = _import_mlflow(
        request.source, experiments=request.experiments, store=store, progress=progress
    )
    return schema.MlflowImport.model_validate(report.to_dict())
