"""MLflow's error answers: ``{"error_code": ..., "message": ...}`` with the status its client
reads back into the same :class:`MlflowException` code."""

from __future__ import annotations

from typing import Any

from jupyter_mlops.errors import (
    ConflictError,
    MlopsError,
    MlopsUsageError,
    NotFoundError,
    StoreError,
)

#: MLflow's error code -> the HTTP status its server answers with.
STATUS = {
    "INVALID_PARAMETER_VALUE": 400,
    "BAD_REQUEST": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "ENDPOINT_NOT_FOUND": 404,
    "INTERNAL_ERROR": 500,
    "NOT_IMPLEMENTED": 501,
    "TEMPORARILY_UNAVAILABLE": 503,
}


class MlflowApiError(MlopsError):
    """An answer in MLflow's error shape; ``code`` is one of :data:`STATUS`."""

    code: str

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 500)


def invalid(message: str) -> MlflowApiError:
    return MlflowApiError("INVALID_PARAMETER_VALUE", message)


def missing(message: str) -> MlflowApiError:
    return MlflowApiError("RESOURCE_DOES_NOT_EXIST", message)


def as_mlflow_error(exc: BaseException) -> MlflowApiError | None:
    """``exc`` in MLflow's shape, or None for an unexpected error (a 500 with a traceback)."""
    if isinstance(exc, MlflowApiError):
        return exc
    message = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, NotFoundError):
        return MlflowApiError("RESOURCE_DOES_NOT_EXIST", message)
    if isinstance(exc, MlopsUsageError):
        return MlflowApiError("INVALID_PARAMETER_VALUE", message)
    if isinstance(exc, ConflictError):
        return MlflowApiError("RESOURCE_ALREADY_EXISTS", message)
    if isinstance(exc, StoreError):
        return MlflowApiError("TEMPORARILY_UNAVAILABLE", message)
    if isinstance(exc, MlopsError):
        return MlflowApiError("INTERNAL_ERROR", message)
    return None


def body(error: MlflowApiError) -> dict[str, Any]:
    """The JSON body of ``error``."""
    return {"error_code": error.code, "message": error.message}
