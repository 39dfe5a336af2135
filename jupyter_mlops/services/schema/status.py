"""Health of the store and the error body every face shares."""

from __future__ import annotations

from pydantic import BaseModel

from jupyter_mlops.services.schema.base import Response
from jupyter_mlops.services.schema.models import GateCheck


class ErrorBody(BaseModel):
    """Every error: one line saying what went wrong and what to do; refused checks if any."""

    error: str
    checks: list[GateCheck] | None = None


class Status(Response):
    """Health of the API and the store it serves."""

    ok: bool
    version: str
    root: str
    store_uri: str
    artifacts_uri: str
    runs_by_status: dict[str, int]
    scheduler_running: bool
