"""A server's presence in the store, so other faces (the Models tab) can see what is served.

While a server runs it keeps one row of kind ``server`` in ``inference_batches``: its URL and
process in a small JSON object, the version it answers with, when it started and when it was
last seen (renewed every ``HEARTBEAT_S``). A server stopped normally removes its row; one
killed outright leaves it, and its ``last_time`` grows old: a reader counts a server as up
only if it was seen within ``ALIVE_S``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from jupyter_mlops.errors import MlopsError
from jupyter_mlops.store import Store
from jupyter_mlops.store.serving import (
    add_inference_batch,
    forget_server,
    inference_batches,
    renew_server,
)

log = logging.getLogger("jupyter_mlops.serving")

KIND = "server"
#: How often a running server renews its row.
HEARTBEAT_S = 5.0
#: A server not seen for this long is not counted as up.
ALIVE_S = 4 * HEARTBEAT_S


class Presence:
    """Keeps one server's row in the store while it runs."""

    def __init__(
        self,
        store: Store,
        server_id: str,
        model_name: str,
        stage: str | None,
        url: str,
        version: Callable[[], int],
        *,
        heartbeat: float = HEARTBEAT_S,
    ) -> None:
        self.store = store
        self.server_id = server_id
        self.model_name = model_name
        self.stage = stage
        self.url = url
        self.version = version
        self.heartbeat = heartbeat
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Write the row and renew it from a background thread."""
        try:
            self._announce()
        except Exception:
            log.exception("mlops serve: could not record the server in the store")
        self._thread = threading.Thread(target=self._run, name="mlops-serve-presence", daemon=True)
        self._thread.start()

    def _announce(self) -> None:
        now = time.time()
        about = {"url": self.url, "pid": os.getpid(), "started": now}
        digest = self.store.objects.put_bytes(json.dumps(about).encode()).digest
        add_inference_batch(
            self.store,
            model_name=self.model_name,
            stage=self.stage,
            server_id=self.server_id,
            digest=digest,
            kind=KIND,
            n_rows=0,
            versions=str(self.version()),
            first_time=now,
            last_time=now,
        )

    def _run(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                if not renew_server(self.store, self.server_id, self.version(), time.time()):
                    self._announce()  # the first write failed, or the row was removed
            except Exception:
                log.exception("mlops serve: could not renew the server's presence")

    def close(self) -> None:
        """Stop renewing and remove the row."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            forget_server(self.store, self.server_id)
        except Exception:
            log.exception("mlops serve: could not remove the server's presence")


@dataclass(frozen=True)
class SeenServer:
    """A server as the store last saw it."""

    url: str
    pid: int
    stage: str | None
    version: int
    started: float
    last_seen: float

    @property
    def up(self) -> bool:
        return time.time() - self.last_seen <= ALIVE_S


def servers_of(store: Store, model_name: str) -> list[SeenServer]:
    """The servers of ``model_name`` that left a row (up or not), newest first."""
    seen = []
    for row in inference_batches(store, model_name, kind=KIND):
        try:
            about = json.loads(store.objects.read_bytes(row.digest))
        except (MlopsError, OSError, ValueError):  # an unreadable row: skipped, not fatal
            continue
        seen.append(
            SeenServer(
                url=str(about.get("url", "")),
                pid=int(about.get("pid", 0)),
                stage=row.stage,
                version=int(row.versions or 0),
                started=row.first_time,
                last_seen=row.last_time,
            )
        )
    return sorted(seen, key=lambda s: s.last_seen, reverse=True)
