"""The REST page: the server extension's routes, from its OpenAPI document or route table."""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable, Iterable
from typing import Any

from jupyter_mlops._docgen._markdown import cell, fence, first_paragraph

_METHODS = ("get", "post", "put", "patch", "delete")
# Where the server extension keeps its OpenAPI builder and its route table.
_OPENAPI = (("jupyter_mlops.server.openapi", "build"),)
_ROUTES = (("jupyter_mlops.server.extension", "ROUTES"),)


def _find(places: Iterable[tuple[str, str]]) -> Any:
    """The first of the (module, attribute) ``places`` that exists."""
    for module_name, name in places:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        if hasattr(module, name):
            return getattr(module, name)
    return None


def _openapi() -> dict[str, Any] | None:
    found = _find(_OPENAPI)
    if callable(found):
        found = found()
    if isinstance(found, str):
        found = json.loads(found)
    return found if isinstance(found, dict) and "paths" in found else None


def _schema_name(node: Any) -> str:
    if not isinstance(node, dict):
        return ""
    ref = node.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    if node.get("type") == "array":
        items = node.get("items")
        inner = _schema_name(items) or (_any_of(items) if isinstance(items, dict) else "")
        return f"list of ({inner})" if " or " in inner else f"list of {inner}"
    if isinstance(node.get("enum"), list):
        return " or ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in node["enum"])
    return str(node.get("type", ""))


def _body(spec: dict[str, Any]) -> str:
    content = (spec.get("content") or {}).get("application/json") or {}
    return _schema_name(content.get("schema"))


def _from_openapi(doc: dict[str, Any]) -> list[str]:
    out = []
    info = doc.get("info", {})
    if info.get("description"):
        out += [" ".join(str(info["description"]).split()), ""]
    out += ["| method | path | what |", "|---|---|---|"]
    ops = []
    for path, item in doc["paths"].items():
        for method in _METHODS:
            if method in item:
                ops.append((path, method, item[method]))
                summary = item[method].get("summary") or first_paragraph(
                    item[method].get("description")
                )
                out.append(f"| `{method.upper()}` | `{path}` | {cell(str(summary))} |")
    out.append("")
    for path, method, op in ops:
        out += [f"## `{method.upper()} {path}`", ""]
        if op.get("description"):
            out += [str(op["description"]).strip(), ""]
        params = op.get("parameters") or []
        if params:
            out += ["| parameter | in | type | required | meaning |", "|---|---|---|---|---|"]
            for p in params:
                out.append(
                    f"| `{p.get('name')}` | {p.get('in', '')} | "
                    f"{cell(_schema_name(p.get('schema')))} | "
                    f"{'yes' if p.get('required') else 'no'} | "
                    f"{cell(str(p.get('description', '')))} |"
                )
            out.append("")
        if op.get("requestBody"):
            out += [f"Request body: `{_body(op['requestBody'])}`", ""]
        responses = op.get("responses") or {}
        if responses:
            out += ["| status | body | meaning |", "|---|---|---|"]
            for code, resp in responses.items():
                out.append(
                    f"| {code} | {cell(_body(resp))} | {cell(str(resp.get('description', '')))} |"
                )
            out.append("")
    schemas = (doc.get("components") or {}).get("schemas") or {}
    if schemas:
        out += ["## Schemas", ""]
        for name, schema in schemas.items():
            out += [f"### `{name}`", ""]
            if schema.get("description"):
                out += [" ".join(str(schema["description"]).split()), ""]
            props = schema.get("properties") or {}
            required = set(schema.get("required") or [])
            if props:
                out += ["| field | type | required |", "|---|---|---|"]
                for field, sub in props.items():
                    kind = _schema_name(sub) or _any_of(sub)
                    yes = "yes" if field in required else "no"
                    out.append(f"| `{field}` | {cell(kind)} | {yes} |")
                out.append("")
    return out


def _any_of(node: dict[str, Any]) -> str:
    options = node.get("anyOf") or node.get("oneOf") or []
    return " or ".join(filter(None, (_schema_name(o) for o in options)))


def _pattern_and_handler(route: Any) -> tuple[str, Any]:
    if isinstance(route, tuple | list):
        return str(route[0]), route[1]
    return str(getattr(route, "pattern", route)), getattr(route, "handler", None)


def _from_routes(routes: Iterable[Any]) -> list[str]:
    out = ["| method | path | what |", "|---|---|---|"]
    for route in routes:
        pattern, handler = _pattern_and_handler(route)
        for method in _METHODS:
            func: Callable[..., Any] | None = getattr(handler, method, None)
            if func is None or not inspect.isfunction(func):
                continue
            if func.__qualname__.split(".")[0] != getattr(handler, "__name__", ""):
                continue  # inherited from tornado, not served
            doc = cell(first_paragraph(inspect.getdoc(func)))
            out.append(f"| `{method.upper()}` | `{pattern}` | {doc} |")
    out.append("")
    return out


def page() -> str:
    """Markdown for the REST API, or a note that this build has no server extension."""
    head = [
        "# REST API",
        "",
        "Served by the Jupyter server extension under `/mlops/api/v1/` with Jupyter's",
        "authentication and XSRF checks. Bad input is HTTP 400, a missing thing 404 and a lost",
        "race 409, a promotion its checks refused 422, and a store that cannot be reached (the",
        "database down or restarting) 503 with `Retry-After`; each error is a one-line JSON",
        "message.",
        "",
    ]
    try:
        importlib.import_module("jupyter_mlops.server")
    except ModuleNotFoundError as exc:
        if exc.name not in ("jupyter_mlops.server", "jupyter_mlops"):
            raise
        return "\n".join([*head, "This build has no server extension (`jupyter_mlops.server`)."])
    doc = _openapi()
    if doc is not None:
        return "\n".join([*head, *_from_openapi(doc)])
    routes = _find(_ROUTES)
    if routes is not None:
        return "\n".join([*head, *_from_routes(routes)])
    return "\n".join(
        [*head, fence("jupyter_mlops.server has neither an OpenAPI document nor a route table")]
    )
