"""The bases and shared types of every record the services take and return.

Services take requests (unknown fields refused) and return responses (every field always
present). These records are the REST API's wire schema too: the OpenAPI document and the
TypeScript client are generated from them, and the CLI's ``--format json`` prints them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

RunStatus = Literal["running", "finished", "failed", "killed"]
#: Where the API lives, below the server's base URL.
API_BASE = "mlops/api/v1"
#: The largest version number or offset a request may give: nine digits fit the integer
#: columns of every backend (PostgreSQL refuses larger ones where SQLite would not).
MAX_WHOLE = 999_999_999

CheckStatus = Literal["passed", "failed", "error"]
PromotionOutcome = Literal["promoted", "refused", "conflict", "would_promote", "would_refuse"]


class Response(BaseModel):
    """Base of response bodies: every field is always present on the wire."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class Request(BaseModel):
    """Base of request bodies and queries: unknown fields are refused (HTTP 400)."""

    model_config = ConfigDict(extra="forbid")
