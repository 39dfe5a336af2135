"""``jupyter-mlops server``: MLflow's tracking REST API at the root of a plain tornado server.

``MLFLOW_TRACKING_URI=http://127.0.0.1:5000`` then points unmodified MLflow code here. With a
token every request must carry it (``Authorization: Bearer``, what MLflow's client sends from
``MLFLOW_TRACKING_TOKEN``); listening beyond this machine needs one.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import tornado.httpserver
import tornado.ioloop
import tornado.netutil
import tornado.web

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.server.mlflow import (
    SETTINGS_KEY,
    MlflowSettings,
    StandaloneApiHandler,
    StandaloneArtifactHandler,
    routes,
)
from jupyter_mlops.services import mlflow_api
from jupyter_mlops.services.schema import MlflowServerRequest

#: The environment variable holding the token clients must send.
TOKEN_ENV = "MLOPS_SERVER_TOKEN"  # noqa: S105 - a variable name, not a secret
LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: The largest upload (an artifact file) in one request.
MAX_BODY = 1024 * 1024 * 1024


def settings_for(request: MlflowServerRequest) -> MlflowSettings:
    """The handlers' settings: the token rule applied, the store opened on first use.

    Raises:
        MlopsUsageError: a host beyond this machine without a token.
    """
    token = request.token or os.environ.get(TOKEN_ENV) or None
    if request.host not in LOOPBACK and not token:
        raise MlopsUsageError(
            f"Serving on {request.host} answers other machines: give --token TOKEN "
            f"(or set {TOKEN_ENV}); clients send it with MLFLOW_TRACKING_TOKEN."
        )
    lock = threading.Lock()
    opened: list[Any] = []

    def store() -> Any:
        with lock:
            if not opened:
                opened.append(mlflow_api.open_store(request.store))
            return opened[0]

    return MlflowSettings(
        store=store, pool=ThreadPoolExecutor(4, thread_name_prefix="mlops-mlflow"), token=token
    )


def make_app(settings: MlflowSettings) -> tornado.web.Application:
    """The tornado application: MLflow's API and artifact service at the root."""
    app = tornado.web.Application(routes("", StandaloneApiHandler, StandaloneArtifactHandler))
    app.settings[SETTINGS_KEY] = settings
    return app


def serve(request: MlflowServerRequest, on_ready: Callable[[str], None]) -> None:
    """Serve until SIGTERM or Ctrl-C; ``on_ready`` hears the URL once it listens.

    Raises:
        MlopsUsageError: bad options, or the port is taken.
    """
    settings = settings_for(request)
    settings.store()  # a store that cannot open fails now, not on the first request
    try:
        sockets = tornado.netutil.bind_sockets(request.port, request.host)
    except OSError as exc:
        raise MlopsUsageError(
            f"Cannot listen on {request.host}:{request.port} ({exc.strerror}); choose another "
            "--port."
        ) from None
    port = sockets[0].getsockname()[1]
    shown = f"[{request.host}]" if ":" in request.host else request.host
    asyncio.set_event_loop(asyncio.new_event_loop())
    loop = tornado.ioloop.IOLoop.current()
    server = tornado.httpserver.HTTPServer(make_app(settings), max_body_size=MAX_BODY)
    server.add_sockets(sockets)

    def stop(*_: Any) -> None:
        def halt() -> None:
            server.stop()
            loop.stop()

        loop.add_callback_from_signal(halt)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    on_ready(f"http://{shown}:{port}")
    try:
        loop.start()
    finally:
        settings.pool.shutdown(wait=True)
