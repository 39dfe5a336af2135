"""A test Authorizer: refuses any action on paths holding ``forbidden-`` (loaded by the server)."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.authorizer import Authorizer


class RefuseForbidden(Authorizer):
    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return not (resource == "mlops" and "forbidden-" in handler.request.path)
