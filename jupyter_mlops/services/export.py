"""Exporting a registered model version: a container build context, KServe, MLflow."""

from __future__ import annotations

from typing import cast

from jupyter_mlops.models.export import export as export_version
from jupyter_mlops.services.schema.export import ExportFormat, ExportInfo, ExportRequest
from jupyter_mlops.store import Store


def export(store: Store, request: ExportRequest) -> ExportInfo:
    """Write the version ``request.uri`` names into ``request.out`` as ``request.format``.

    ``NAME@STAGE`` and ``NAME/VERSION`` are read as ``models:/`` URIs.

    Raises:
        MlopsUsageError: a malformed URI, or ``out`` is not a new or empty folder.
        NotFoundError: an unknown model, version or stage.
        ArtifactIntegrityError: the artifact no longer matches its digest.
    """
    uri = request.uri if request.uri.startswith("models:/") else f"models:/{request.uri}"
    done = export_version(uri, request.format, request.out, trusted=request.trusted, store=store)
    return ExportInfo(
        uri=done.uri,
        model_name=done.name,
        version=done.version,
        stage=done.stage,
        format=cast(ExportFormat, done.format),
        out=str(done.out),
        files=done.files,
        command=done.command,
    )
