"""MLflow's API inside the Jupyter server, under ``/mlops/mlflow``, behind Jupyter's auth.

MLflow's client sends ``MLFLOW_TRACKING_TOKEN`` as ``Authorization: Bearer TOKEN``, which
Jupyter's identity provider takes like its own ``token`` scheme; such requests need no XSRF
cookie. A request without a user is a 401 in MLflow's shape (not Jupyter's 403 page), and
Jupyter's authorizer is asked for ``read`` (GET) or ``write`` on resource ``mlops``.
"""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import JupyterHandler

from jupyter_mlops.server.mlflow import ApiFace, ArtifactFace, MlflowFace, routes
from jupyter_mlops.services import mlflow_api

#: Where the API is mounted below the server's base URL.
MOUNT = "/mlops/mlflow"


class _InJupyter(MlflowFace, JupyterHandler):
    auth_resource = "mlops"

    def check_xsrf_cookie(self) -> None:
        # Without a user the request is answered 401 by check_access, not 403 here.
        if getattr(self, "_jupyter_current_user", None) is None:
            return
        super().check_xsrf_cookie()

    def check_access(self) -> None:
        user = self.current_user
        if user is None:
            raise mlflow_api.MlflowApiError(
                "UNAUTHENTICATED",
                "Send the Jupyter server's token: set MLFLOW_TRACKING_TOKEN to it.",
            )
        action = "read" if self.request.method in ("GET", "HEAD") else "write"
        if not self.authorizer.is_authorized(self, user, action, self.auth_resource):
            raise tornado.web.HTTPError(403, reason=f"Not allowed to {action} {self.auth_resource}")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        MlflowFace.write_error(self, status_code, **kwargs)


class JupyterApiHandler(_InJupyter, ApiFace):
    @allow_unauthenticated
    async def get(self, path: str) -> None:
        await ApiFace.get(self, path)

    @allow_unauthenticated
    async def post(self, path: str) -> None:
        await ApiFace.post(self, path)

    @allow_unauthenticated
    async def patch(self, path: str) -> None:
        await ApiFace.patch(self, path)

    @allow_unauthenticated
    async def delete(self, path: str) -> None:
        await ApiFace.delete(self, path)


class JupyterArtifactHandler(_InJupyter, ArtifactFace):
    @allow_unauthenticated
    async def get(self, path: str) -> None:
        await ArtifactFace.get(self, path)

    @allow_unauthenticated
    async def put(self, path: str) -> None:
        await ArtifactFace.put(self, path)

    @allow_unauthenticated
    async def delete(self, path: str) -> None:
        await ArtifactFace.delete(self, path)


def jupyter_routes() -> list[tuple[str, type[MlflowFace]]]:
    """The MLflow API's URL patterns in the Jupyter server (below its base URL)."""
    return routes(MOUNT, JupyterApiHandler, JupyterArtifactHandler)
