"""The API's handlers: one generic handler answers every route of the table; two are special.

:class:`RouteHandler` parses the path, the query or the body into the route's records,
calls its service function in a worker thread and replies. Downloads stream bytes and the
OpenAPI document is text, so those two have handlers of their own.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import tornado.web
from jupyter_server.auth.decorator import authorized

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.server.base import MlopsHandler, operation
from jupyter_mlops.server.routes import ROUTES, Route
from jupyter_mlops.services import artifacts

_WHOLE = re.compile(r"[0-9]{1,9}")  # at most MAX_WHOLE


def whole_number(text: str, what: str) -> int:
    """A path value that must be a whole number from 1."""
    if not _WHOLE.fullmatch(text) or int(text) < 1:
        raise MlopsUsageError(f"The {what} is a whole number from 1, not {text!r}.")
    return int(text)


class RouteHandler(MlopsHandler):
    """Answers the routes of one path (one per method), as the table describes them."""

    routes: ClassVar[dict[str, Route]] = {}

    @tornado.web.authenticated
    @authorized
    async def get(self, **values: str) -> None:
        await self._answer("GET", values)

    @tornado.web.authenticated
    @authorized
    async def post(self, **values: str) -> None:
        await self._answer("POST", values)

    @tornado.web.authenticated
    @authorized
    async def delete(self, **values: str) -> None:
        await self._answer("DELETE", values)

    async def _answer(self, method: str, values: dict[str, str]) -> None:
        route = self.routes.get(method)
        if route is None:
            raise tornado.web.HTTPError(405)
        args: list[Any] = [
            whole_number(values[name], name) if name in route.numbers else values[name]
            for name in route.params
        ]
        if route.request is not None:
            read = self.query_model if method == "GET" else self.body_model
            args.append(read(route.request))
        context = {name: getattr(self.api, name) for name in route.context}
        answer = await self.call(route.call, *args, slow=route.slow, **context)
        if route.accepted:
            record, ended = answer
            self.reply(record, 200 if ended else route.status)
        else:
            self.reply(answer, route.status)


def route_handlers() -> list[tuple[str, type[MlopsHandler]]]:
    """(URL pattern, handler class) for every path of :data:`ROUTES`, in table order."""
    by_path: dict[str, dict[str, Route]] = {}
    for route in ROUTES:
        by_path.setdefault(route.pattern, {})[route.method] = route
    found: list[tuple[str, type[MlopsHandler]]] = []
    for pattern, routes in by_path.items():
        name = "".join(r.name[0].upper() + r.name[1:] for r in routes.values()) + "Handler"
        found.append((pattern, type(name, (RouteHandler,), {"routes": routes})))
    return found


class OpenAPIHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("This API's OpenAPI document", response=None, store=False, name="getOpenAPI")
    async def get(self) -> None:
        from jupyter_mlops.server.openapi import openapi_document  # built on first request

        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(openapi_document())


class ArtifactHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation(
        "Download an object of the artifact store by its digest",
        response=None,
        errors=(400, 401, 403, 404),
        media_type="application/octet-stream",
        name="downloadArtifact",
    )
    async def get(self, digest: str) -> None:
        filename = self.get_query_argument("filename", None)
        found = await self.call(artifacts.prepare_download, digest, filename=filename)
        # Nothing the store holds may act as a page on the Jupyter origin.
        self.set_header("Content-Type", found.media_type)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "sandbox; default-src 'none'")
        disposition = "inline" if found.inline else "attachment"
        quoted = tornado.escape.url_escape(found.filename, plus=False)
        self.set_header("Content-Disposition", f"{disposition}; filename*=UTF-8''{quoted}")
        if found.size <= artifacts.WHOLE:
            # Read and verify the whole object before the first byte goes out.
            data = await self.call(artifacts.read_whole, found)
            self.set_header("Content-Length", str(len(data)))
            # APIHandler.finish sets a JSON type unless told which type this is.
            self.finish(data, set_content_type=found.media_type)
            return
        # Verified into a private copy first: a 200 cannot be taken back once it is sent.
        copy = await self.call(artifacts.open_verified, found)
        try:
            self.set_header("Content-Length", str(copy.size))
            while chunk := await self.call(lambda _s: copy.file.read(1024 * 1024)):
                self.write(chunk)
                await self.flush()
        finally:
            copy.file.close()
        self.finish(set_content_type=found.media_type)
