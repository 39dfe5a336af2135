"""The bases and shared types of every record the services take and return.

Services take requests (unknown fields refused) and return responses (every field always
present). These records are the REST API's wire schema too: the OpenAPI document and the
TypeScript client are generated from them, and the CLI's ``--format json`` prints them.

A float that is not finite travels as the string ``"NaN"``, ``"Infinity"`` or
``"-Infinity"`` (as in protobuf's JSON mapping, which MLflow's REST API follows): JSON has
no literal for them, and ``null`` would read as "not logged".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, WithJsonSchema

RunStatus = Literal["running", "finished", "failed", "killed"]
#: Where the API lives, below the server's base URL.
API_BASE = "mlops/api/v1"
#: The largest version number or offset a request may give: nine digits fit the integer
#: columns of every backend (PostgreSQL refuses larger ones where SQLite would not).
MAX_WHOLE = 999_999_999

CheckStatus = Literal["passed", "failed", "error"]
PromotionOutcome = Literal["promoted", "refused", "conflict", "would_promote", "would_refuse"]

#: A float that may be NaN or infinite (sent as a string then, see the module docstring).
Real = Annotated[
    float,
    WithJsonSchema({"anyOf": [{"type": "number"}, {"enum": ["NaN", "Infinity", "-Infinity"]}]}),
]


class Response(BaseModel):
    """Base of response bodies: every field is always present on the wire."""

    model_config = ConfigDict(
        json_schema_serialization_defaults_required=True, ser_json_inf_nan="strings"
    )


class Request(BaseModel):
    """Base of request bodies and queries: unknown fields are refused (HTTP 400)."""

    model_config = ConfigDict(extra="forbid")


def _shown(given: object) -> str:
    # A number typed as text (a command line, a query string) reads as the number it is.
    if isinstance(given, str):
        try:
            float(given)
        except ValueError:
            return repr(given)
        return given
    return repr(given)


def _phrase(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    given = error.get("input")
    shown = f", not {_shown(given)}" if isinstance(given, str | int | float) else ""
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"expected a whole number{shown}"
    if kind in ("float_parsing", "float_type"):
        return f"expected a number{shown}"
    if kind in ("bool_parsing", "bool_type"):
        return f"expected true or false{shown}"
    if kind == "greater_than_equal":
        least = "zero" if ctx.get("ge") == 0 else ctx.get("ge")
        return f"expected {least} or more{shown}"
    if kind == "greater_than":
        return f"expected more than {ctx.get('gt')}{shown}"
    if kind == "less_than_equal":
        return f"expected at most {ctx.get('le')}{shown}"
    if kind == "less_than":
        return f"expected less than {ctx.get('lt')}{shown}"
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}{shown}"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not an option of this request"
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return str(error.get("msg", "is invalid")).rstrip(".")


def explain(exc: pydantic.ValidationError, names: Mapping[str, str] | None = None) -> str:
    """One line naming each refused value the way the user typed it (``names``: field -> text).

    The same phrases on every face: ``--limit: expected 1 or more, not 0`` on the command
    line, ``limit: expected 1 or more, not 0`` over REST.
    """
    names = names or {}
    parts = []
    for error in exc.errors(include_url=False):
        loc = [str(p) for p in error.get("loc", ())]
        where = names.get(loc[0], loc[0]) if loc else "request"
        where = ".".join([where, *loc[1:]])
        parts.append(f"{where}: {_phrase(error)}")
    return "; ".join(parts) + "."
