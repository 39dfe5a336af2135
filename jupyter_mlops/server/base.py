"""The base of every API handler: auth, parsing into wire models, replies, error mapping.

Handlers stay thin: parse the query or body into a wire model, call a service function in a
worker thread, send the model back. Errors become HTTP answers in :func:`http_error` only.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import tornado.ioloop
import tornado.web
from jupyter_server.base.handlers import APIHandler
from pydantic import BaseModel

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.server.context import ApiContext
from jupyter_mlops.server.errors import explained, http_error
from jupyter_mlops.services.schema import ErrorBody

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

#: The settings key under which the extension puts its :class:`ApiContext`.
CONTEXT_KEY = "jupyter_mlops_api"
#: Seconds a client should wait before retrying after a 503 (store unreachable or busy).
RETRY_AFTER_S = 5
#: The largest JSON body a request may send (every request body here is a few hundred bytes).
MAX_BODY = 1024 * 1024
#: The deepest nesting of a JSON body (the deepest request record nests four levels).
MAX_DEPTH = 32


def too_deep(raw: bytes, limit: int) -> bool:
    """Whether the JSON text ``raw`` nests arrays/objects deeper than ``limit``.

    A scan without recursion, before parsing: json.loads would raise RecursionError on a
    100,000-deep body.
    """
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, BaseModel):
        return _has_nul(value.model_dump())
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


@dataclass(frozen=True)
class Operation:
    """How one handler method is documented in the OpenAPI document."""

    summary: str
    response: type[BaseModel] | None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    media_type: str = "application/json"
    #: Whether it uses the store (and so may answer 503 while the store is unreachable).
    store: bool = True
    #: The operation's id (the TypeScript client's function name); default from the path.
    name: str = ""


def operation(
    summary: str,
    *,
    response: type[BaseModel] | None,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    media_type: str = "application/json",
    store: bool = True,
    name: str = "",
) -> Callable[[F], F]:
    """Attach the OpenAPI description of a handler method (``get``, ``post``)."""

    def mark(method: F) -> F:
        method.__mlops_operation__ = Operation(  # type: ignore[attr-defined]
            summary, response, body, query, status, errors, media_type, store, name
        )
        return method

    return mark


def operation_of(method: Any) -> Operation | None:
    """The :class:`Operation` of a handler method, if it has one."""
    found = getattr(method, "__mlops_operation__", None)
    return found if isinstance(found, Operation) else None


class MlopsHandler(APIHandler):
    """Base handler: every route needs a logged-in user; APIHandler checks XSRF on POST and
    DELETE.

    ``@authorized`` asks the server's Authorizer for ``read`` (GET) or ``write`` (POST,
    DELETE) on
    resource ``mlops``, so a deployment with roles (JupyterHub) can limit who may promote.
    """

    auth_resource = "mlops"

    @property
    def api(self) -> ApiContext:
        context: ApiContext = self.settings[CONTEXT_KEY]
        return context

    async def call(self, fn: Callable[..., R], *args: Any, slow: bool = False, **kwargs: Any) -> R:
        """Run ``fn(store, *args, **kwargs)`` in a worker thread, off the event loop.

        Raises:
            MlopsUsageError: text in the arguments holds a NUL character, which no name or
                value may (PostgreSQL refuses it in text; SQLite would store it).
        """
        if _has_nul((args, kwargs)):
            raise MlopsUsageError(
                "Text in a request cannot contain NUL characters (\\x00); remove them."
            )
        context = self.api

        def work() -> R:
            return fn(context.store(patient=slow), *args, **kwargs)

        pool = context.slow if slow else context.quick
        return await tornado.ioloop.IOLoop.current().run_in_executor(pool, work)

    def query_model(self, model: type[M]) -> M:
        """Parse the query string into ``model``.

        A list field takes every value of a repeated argument (``?experiment=a&experiment=b``),
        any other field the last one. A bare number (``?1732665600123``) is ignored:
        JupyterLab's ``ServerConnection`` adds one to every GET to defeat caches.
        """
        values: dict[str, Any] = {}
        for key, raw in self.request.query_arguments.items():
            if key.isdigit() and raw == [b""]:
                continue
            texts = [self.decode_argument(item, name=key) for item in raw]
            field = model.model_fields.get(key)
            many = field is not None and typing.get_origin(field.annotation) is list
            values[key] = texts if many else texts[-1]
        return model.model_validate(values)

    def body_model(self, model: type[M]) -> M:
        """Parse the JSON body into ``model``; an empty body is ``{}``.

        Raises:
            HTTPError: 413 for a body over :data:`MAX_BODY` bytes.
            MlopsUsageError: not JSON, or nested deeper than :data:`MAX_DEPTH`.
        """
        raw = self.request.body or b"{}"
        if len(raw) > MAX_BODY:
            raise tornado.web.HTTPError(
                413, reason=f"The request body is over {MAX_BODY // 1024} KiB; send less."
            )
        if too_deep(raw, MAX_DEPTH):
            raise MlopsUsageError(
                f"The request body nests deeper than {MAX_DEPTH} levels; no request needs that."
            )
        try:
            data = json.loads(raw)
        except ValueError:
            raise MlopsUsageError("The request body must be JSON.") from None
        return model.model_validate(data)

    def reply(self, model: BaseModel, status: int = 200) -> None:
        """Send ``model`` as JSON."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(model.model_dump_json())

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Every error as ``{"error": "one line"}`` with the status :func:`http_error` gives."""
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        if exc is not None:
            status_code, body = http_error(exc)
        else:
            body = ErrorBody(error=self._reason or "Error")
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        if status_code == 503:  # the store is down or busy: a client may retry
            self.set_header("Retry-After", str(RETRY_AFTER_S))
        self.finish(body.model_dump_json(exclude_none=True))

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Log our own errors as one line (they say what to do); others with a traceback."""
        if value is not None and explained(value):
            status, body = http_error(value)
            log = self.log.info if status < 500 else self.log.error
            log("%s %s: %s %s", self.request.method, self.request.path, status, body.error)
            return
        super().log_exception(typ, value, tb)
