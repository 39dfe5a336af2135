"""Errors to HTTP answers, in one place: status code and a one-line JSON body."""

from __future__ import annotations

import http

import pydantic
from sqlalchemy.exc import IntegrityError
from tornado.web import HTTPError

from jupyter_mlops.errors import (
    ConflictError,
    GateRefused,
    MlopsError,
    MlopsUsageError,
    NotFoundError,
    RecordUnavailable,
    StoreError,
)
from jupyter_mlops.services.schema import ErrorBody, GateCheck
from jupyter_mlops.services.schema.base import explain


def one_line(text: str) -> str:
    """Join a message's lines: an error body is always one line."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def first_line(error: object) -> str:
    """The first line of a database driver's error (psycopg adds context lines)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _phrase(code: int) -> str:
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return "Error"


_INTERNAL = "Internal error ({}); the server log has the traceback."

# Integrity errors that mean "another writer got there first": a unique key taken or a row
# referred to removed meanwhile (PostgreSQL writers do not queue as SQLite's do).
_RACE_SQLSTATES = ("23505", "23503")
_RACE_SQLITE = ("UNIQUE constraint failed", "FOREIGN KEY constraint failed")


def _lost_race(exc: IntegrityError) -> bool:
    state = getattr(exc.orig, "sqlstate", None)
    if state is not None:
        return state in _RACE_SQLSTATES
    return any(marker in str(exc.orig) for marker in _RACE_SQLITE)


def http_error(exc: BaseException) -> tuple[int, ErrorBody]:
    """The HTTP status and body for ``exc``.

    404 unknown thing, 400 invalid input, 409 conflict (also a write that lost a race with
    another, and a record whose data the store no longer has), 422 promotion refused by its
    checks (with every check's result), 503 store unreachable or busy (try again), the status
    of a tornado ``HTTPError``, else 500.
    """
    if isinstance(exc, GateRefused):
        raw = exc.fields.get("checks") or exc.fields.get("failed") or []
        checks = [GateCheck.model_validate(c) for c in raw]
        return 422, ErrorBody(error=one_line(exc.message), checks=checks)
    if isinstance(exc, NotFoundError):
        return 404, ErrorBody(error=one_line(exc.message))
    if isinstance(exc, MlopsUsageError):
        return 400, ErrorBody(error=one_line(exc.message))
    if isinstance(exc, ConflictError | RecordUnavailable):
        return 409, ErrorBody(error=one_line(exc.message))
    if isinstance(exc, pydantic.ValidationError):
        return 400, ErrorBody(error=one_line(explain(exc)))
    if isinstance(exc, StoreError):  # database down, restarting or locked: it may pass
        return 503, ErrorBody(error=one_line(exc.message))
    if isinstance(exc, IntegrityError) and _lost_race(exc):
        return 409, ErrorBody(
            error=f"Another request changed the same thing at the same moment "
            f"({first_line(exc.orig)}); nothing was written: reload and try again."
        )
    if isinstance(exc, MlopsError):  # a corrupt object and the like: say what happened
        return 500, ErrorBody(error=one_line(exc.message))
    if isinstance(exc, HTTPError):
        message = exc.log_message % exc.args if exc.log_message and exc.args else exc.log_message
        return exc.status_code, ErrorBody(
            error=one_line(message or exc.reason or _phrase(exc.status_code))
        )
    return 500, ErrorBody(error=_INTERNAL.format(type(exc).__name__))


def explained(exc: BaseException) -> bool:
    """Whether :func:`http_error` explains ``exc`` in its one line (no traceback needed)."""
    _, body = http_error(exc)
    return not body.error.startswith(_INTERNAL.split("(")[0])
