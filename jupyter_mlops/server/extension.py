"""The jupyter_server extension: the API's URL patterns, its settings and the scheduler thread.

:data:`ROUTES` is every URL pattern the API serves (from the route table of
:mod:`jupyter_mlops.server.routes`); it also drives the OpenAPI document and the test that
every route refuses unauthenticated requests.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float

from jupyter_mlops.server import handlers as h
from jupyter_mlops.server.base import CONTEXT_KEY, MlopsHandler
from jupyter_mlops.server.context import ApiContext
from jupyter_mlops.server.mlflow import SETTINGS_KEY, MlflowSettings
from jupyter_mlops.server.mlflow_jupyter import jupyter_routes
from jupyter_mlops.services import schedules
from jupyter_mlops.services.schema import API_BASE, SchedulerOptions

#: (pattern below the server's base URL, handler): the whole API. The route table
#: (:mod:`jupyter_mlops.server.routes`) gives all but the download and the OpenAPI document.
ROUTES: list[tuple[str, type[MlopsHandler]]] = [
    (f"/{API_BASE}/openapi.json", h.OpenAPIHandler),
    (f"/{API_BASE}/artifacts/(?P<digest>[^/]+)", h.ArtifactHandler),
    *h.route_handlers(),
]


class MlopsExtension(ExtensionApp):
    """Serves the jupyter_mlops API under ``/mlops/api/v1/`` and MLflow's tracking API under
    ``/mlops/mlflow``; can run due schedules too."""

    name = "jupyter_mlops"
    load_other_extensions = True

    run_scheduler = Bool(
        False,
        config=True,
        help="Run due schedules in a thread of this server (as `jupyter-mlops scheduler` does).",
    )
    scheduler_poll = Float(
        30.0, config=True, help="Seconds between the scheduler's passes at most."
    )
    store_wait = Float(
        5.0,
        config=True,
        help="Seconds a request waits for an unreachable store database before answering 503 "
        "(pipelines, validations and the scheduler wait as long as the CLI does).",
    )

    def initialize_settings(self) -> None:
        root = Path(self.serverapp.root_dir if self.serverapp else ".").expanduser().resolve()
        self.api = ApiContext(root=root, store_wait=self.store_wait)
        self.settings[CONTEXT_KEY] = self.api
        # MLflow's API under /mlops/mlflow shares the store and the quick pool.
        self.settings[SETTINGS_KEY] = MlflowSettings(store=self.api.store, pool=self.api.quick)
        self._stop = threading.Event()
        self._scheduler: threading.Thread | None = None

    def initialize_handlers(self) -> None:
        self.handlers.extend(ROUTES)
        self.handlers.extend(jupyter_routes())

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        if self.run_scheduler:
            self._start_scheduler()

    def _start_scheduler(self) -> None:
        options = SchedulerOptions(poll=self.scheduler_poll)

        def loop() -> None:
            try:
                # The patient store: a schedule's writes ride out a database restart.
                store = self.api.store(patient=True)
                schedules.daemon(store, options).run_forever(self._stop)
            except Exception:  # the API keeps serving without its scheduler
                self.log.exception("jupyter_mlops: the scheduler stopped")
            finally:
                self.api.scheduler_running = False

        self.api.scheduler_running = True
        self._scheduler = threading.Thread(target=loop, name="mlops-scheduler", daemon=True)
        self._scheduler.start()
        self.log.info("jupyter_mlops: running due schedules of %s", self.api.root)

    async def stop_extension(self) -> None:
        self._stop.set()
        if self._scheduler is not None:
            # A running schedule finishes its current job first; do not hang shutdown on it.
            self._scheduler.join(timeout=30)
        self.api.close()
