"""What the handlers share: the server's root, its stores (opened on first use), thread pools."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_mlops.services import project
from jupyter_mlops.services.project import Store


@dataclass
class ApiContext:
    """The API's state, one per server.

    ``quick`` runs store reads and small writes off the event loop; ``slow`` runs what may take
    minutes (pipelines, validation notebooks, schedules run now), so those never starve reads.

    A quick request waits ``store_wait`` seconds for an unreachable PostgreSQL server to come
    back before it fails (HTTP 503): a client should not hang for the store's full window.
    Long work and the scheduler use a patient store of their own, which rides out a restart
    for the store's full window, as the CLI does.
    """

    root: Path
    store_wait: float = 5.0
    quick: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(4, thread_name_prefix="mlops-api")
    )
    slow: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(4, thread_name_prefix="mlops-api-long")
    )
    scheduler_running: bool = False
    _stores: dict[bool, Store] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def store(self, *, patient: bool = False) -> Store:
        """The store configured for the root (``config.py`` resolution), opened once."""
        with self._lock:
            if patient not in self._stores:
                wait = None if patient else self.store_wait
                self._stores[patient] = project.open_at(self.root, wait=wait)
            return self._stores[patient]

    def close(self) -> None:
        """Stop the pools (waiting for what runs) and close the store."""
        self.quick.shutdown(wait=True, cancel_futures=True)
        self.slow.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            for store in self._stores.values():
                store.close()
            self._stores.clear()
