"""Errors to HTTP answers, in one place: status code and a one-line JSON body."""

from __future__ import annotations

import http

import pydantic
from tornado.web import HTTPError

from jupyter_mlops.errors import (
    ConflictError,
    MlopsError,
    MlopsUsageError,
    NotFoundError,
)
from jupyter_mlops.gates import GateRefused
from jupyter_mlops.server.wire import ErrorBody, GateCheck


def one_line(text: str) -> str:
    """Join a message's lines: an error body is always one line."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _validation_message(exc: pydantic.ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error.get("loc", ())) or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "Invalid request: " + "; ".join(parts) + "."


def _phrase(code: int) -> str:
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return "Error"


def http_error(exc: BaseException) -> tuple[int, ErrorBody]:
    """The HTTP status and body for ``exc``.

    404 unknown thing, 400 invalid input, 409 conflict, 422 promotion refused by its checks
    (with every check's result), the status of a tornado ``HTTPError``, else 500.
    """
    if isinstance(exc, GateRefused):
        raw = exc.fields.get("checks") or exc.fields.get("failed") or []
        checks = [GateCheck.model_validate(c) for c in raw]
        return 422, ErrorBody(error=one_line(exc.message), checks=checks)
    if isinstance(exc, NotFoundError):
        return 404, ErrorBody(error=one_line(exc.message))
    if isinstance(exc, MlopsUsageError):
        return 400, ErrorBody(error=one_line(exc.message))
    if isinstance(exc, ConflictError):
        return 409, ErrorBody(error=one_line(exc.message))
    if isinstance(exc, pydantic.ValidationError):
        return 400, ErrorBody(error=one_line(_validation_message(exc)))
    if isinstance(exc, MlopsError):  # corrupt object, store unreachable: say what happened
        return 500, ErrorBody(error=one_line(exc.message))
    if isinstance(exc, HTTPError):
        message = exc.log_message % exc.args if exc.log_message and exc.args else exc.log_message
        return exc.status_code, ErrorBody(
            error=one_line(message or exc.reason or _phrase(exc.status_code))
        )
    return 500, ErrorBody(
        error=f"Internal error ({type(exc).__name__}); the server log has the traceback."
    )
