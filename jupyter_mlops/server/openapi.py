"""The OpenAPI 3.1 document of the API, built from the routes and the wire models."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from jupyter_mlops._version import __version__
from jupyter_mlops.server import extension
from jupyter_mlops.server.base import MlopsHandler, Operation, operation_of
from jupyter_mlops.server.gen_ts import wire_schema
from jupyter_mlops.server.handlers import RouteHandler
from jupyter_mlops.server.routes import ROUTES, Route
from jupyter_mlops.services.schema import MAX_WHOLE

_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
METHODS = ("get", "post", "put", "patch", "delete")
#: The path values that are whole numbers from 1 (model and dataset versions), by operation.
_NUMBERS = {route.name: route.numbers for route in ROUTES}
_WHOLE = {"type": "integer", "minimum": 1, "maximum": MAX_WHOLE}
_TEXT = {"type": "string"}
_REASONS = {
    400: "Invalid input: a bad filter, body, parameter or digest",
    401: "Not authenticated",
    403: "Not authenticated, or a state-changing request without the XSRF token",
    404: "No such run, model, dataset, object, schedule or monitor",
    409: "Conflict: the stage moved meanwhile, the schedule is running already, a record's "
    "data is gone from the artifact store, or another request wrote the same thing at the "
    "same moment",
    422: "Refused by its checks; `checks` holds every check's result",
    503: "The store's database is unreachable or busy: retry after `Retry-After` seconds",
}


def path_template(pattern: str) -> str:
    """``/runs/(?P<run_id>[^/]+)`` as OpenAPI's ``/runs/{run_id}``."""
    return _GROUP.sub(lambda m: "{" + m.group(1) + "}", pattern)


def served_methods(handler: type[MlopsHandler]) -> list[str]:
    """The HTTP methods (lower case) ``handler`` answers."""
    if issubclass(handler, RouteHandler):
        return [method.lower() for method in handler.routes]
    return [method for method in METHODS if method in handler.__dict__]


def _route_operation(route: Route) -> Operation:
    query = route.request if route.method == "GET" else None
    body = route.request if route.method != "GET" else None
    return Operation(
        route.summary,
        route.response,
        body=body,
        query=query,
        status=route.status,
        errors=route.errors,
        name=route.name,
    )


def operations() -> list[tuple[str, str, Operation]]:
    """(path template, method, operation) for every handler method of every route."""
    found = []
    for pattern, handler in extension.ROUTES:
        for method in served_methods(handler):
            if issubclass(handler, RouteHandler):
                op = _route_operation(handler.routes[method.upper()])
            else:
                described = operation_of(handler.__dict__[method])
                if described is None:
                    raise TypeError(f"{handler.__name__}.{method} has no @operation description")
                op = described
            found.append((path_template(pattern), method, op))
    return found


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _query_parameters(op: Operation, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    if op.query is None:
        return []
    schema = schemas[op.query.__name__]
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": {k: v for k, v in prop.items() if k != "description"},
            **({"description": prop["description"]} if "description" in prop else {}),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation(path: str, method: str, op: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    names = re.findall(r"\{(\w+)\}", path)
    whole = _NUMBERS.get(op.name, ())
    parameters = [
        {"name": n, "in": "path", "required": True, "schema": _WHOLE if n in whole else _TEXT}
        for n in names
    ]
    parameters += _query_parameters(op, schemas)
    if op.response is not None:
        content: dict[str, Any] = {op.media_type: {"schema": _ref(op.response.__name__)}}
    elif op.media_type == "application/json":
        content = {op.media_type: {"schema": {"type": "object"}}}
    else:
        content = {op.media_type: {"schema": {"type": "string", "format": "binary"}}}
    responses: dict[str, Any] = {str(op.status): {"description": "OK", "content": content}}
    if op.status != 200:
        responses["200"] = {"description": "OK (waited for)", "content": content}
    errors = set(op.errors) | {401, 403}
    if names:
        errors.add(404)
    if names or op.query is not None or op.body is not None:
        errors.add(400)  # path parameters too: text with a NUL character is refused
    if op.store:
        errors.add(503)
    error_content = {"application/json": {"schema": _ref("ErrorBody")}}
    for code in sorted(errors):
        responses[str(code)] = {"description": _REASONS[code], "content": error_content}
    doc: dict[str, Any] = {
        "summary": op.summary,
        "operationId": op.name or f"{method}_{re.sub(r'[^A-Za-z0-9]+', '_', path).strip('_')}",
        "parameters": parameters,
        "responses": responses,
    }
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(op.body.__name__)}},
        }
    return doc


def build() -> dict[str, Any]:
    """The OpenAPI document as a dict."""
    schemas = wire_schema()
    paths: dict[str, dict[str, Any]] = {}
    for path, method, op in operations():
        paths.setdefault(path, {})[method] = _operation(path, method, op, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "jupyter_mlops",
            "version": __version__,
            "description": "Runs, artifacts, datasets, models, pipelines, schedules and "
            "monitors of the project's store. Jupyter authentication on every route; "
            "the XSRF token on every POST and DELETE.",
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "Authorization"}
            },
        },
        "security": [{"token": []}],
        "paths": paths,
    }


@functools.cache
def openapi_document() -> str:
    """The OpenAPI document as JSON text (built once)."""
    return json.dumps(build(), indent=1, sort_keys=False)
