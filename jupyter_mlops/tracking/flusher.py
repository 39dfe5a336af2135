"""Background threads, one of each per process: the flusher, which writes buffered points and
beats hearts, and the worker that runs capture work deferred off a cell's path."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jupyter_mlops.tracking.run import Run

HEARTBEAT_EVERY_S = 5.0


class Flusher:
    """Flushes every active run at most ``interval`` seconds after a point is logged."""

    def __init__(self) -> None:
        self._runs: weakref.WeakSet[Run] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, run: Run) -> None:
        with self._lock:
            self._runs.add(run)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="mlops-flusher", daemon=True
                )
                self._thread.start()

    def discard(self, run: Run) -> None:
        with self._lock:
            self._runs.discard(run)

    def _loop(self) -> None:
        while True:
            with self._lock:
                interval = min((r.flush_interval for r in self._runs), default=1.0)
            self._wake.wait(interval)
            self._wake.clear()
            # Read the runs after waiting: a run started during the wait is flushed now,
            # so no point waits longer than one interval ("lose at most the last second").
            with self._lock:
                runs = list(self._runs)
            now = time.time()
            for run in runs:
                try:
                    run.submit_deferred()  # capture work put off until after the cell
                    if run.has_pending():
                        run.flush(jobs=False)
                    elif now - run.last_heartbeat >= HEARTBEAT_EVERY_S:
                        run.beat()
                except Exception:  # noqa: BLE001 - a flush error surfaces on the next explicit flush
                    run.note_background_error()


FLUSHER = Flusher()


class Worker:
    """Runs submitted functions one after another in a daemon thread, started on first use.

    Each function must catch what it expects; anything else is dropped.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, func: Callable[[], None]) -> None:
        self._queue.put(func)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="mlops-deferred", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while True:
            func = self._queue.get()
            with contextlib.suppress(Exception):
                func()


DEFERRED = Worker()
