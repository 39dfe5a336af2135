"""What a run buffers between flushes, and the flush that writes it in one transaction.

Params, tags, metric points, executed cells and data inputs are kept in memory and written
together by :meth:`RunBuffer.flush` (the background flusher calls it about once a second, and
the run's end with its final status). Logging goes on while a batch is written: a write
waiting on another process's lock must not stall the user's ``log_metric`` calls.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from jupyter_mlops.store import Store
from jupyter_mlops.store import runs as q


@dataclass
class Captured:
    """Counts of what a run captured, for the one-line summary."""

    params: int = 0
    metrics: int = 0
    models: list[str] = field(default_factory=list)
    #: Captured models over ``max_model_size``: fingerprinted, not stored.
    unstored_models: list[str] = field(default_factory=list)
    datasets: int = 0
    figures: int = 0
    artifacts: int = 0


class RunBuffer:
    """The records of one run waiting for the next flush; counts them into ``captured``."""

    def __init__(self, run_id: str, captured: Captured) -> None:
        self.run_id = run_id
        self.captured = captured
        self._lock = threading.RLock()  # guards the buffers; never held while writing
        self._flush_lock = threading.Lock()  # keeps flushes in order (last param value wins)
        self._params: dict[str, str] = {}
        self._tags: dict[str, str] = {}
        self._points: list[tuple[str, int, float, float]] = []
        self._next_step: dict[str, int] = {}
        self._cell_seq = 0
        self._cells: list[dict[str, Any]] = []
        self._inputs: list[dict[str, Any]] = []

    def param(self, key: str, text: str) -> None:
        """Buffer a param's stored text (the last value wins)."""
        with self._lock:
            if key not in self._params:
                self.captured.params += 1
            self._params[key] = text

    def tag(self, key: str, text: str) -> None:
        """Buffer a tag."""
        with self._lock:
            self._tags[key] = text

    def point(self, key: str, value: float, step: int | None, timestamp: float | None) -> int:
        """Buffer a metric point; without ``step`` the key's next step. Returns the step."""
        with self._lock:
            step = self._next_step.get(key, 0) if step is None else step
            if key not in self._next_step:
                self.captured.metrics += 1
            self._next_step[key] = max(self._next_step.get(key, 0), step + 1)
            self._points.append((key, step, value, timestamp or time.time()))
        return step

    def cell(
        self,
        source: str,
        *,
        execution_count: int | None,
        started: float,
        duration: float | None,
        status: str,
        error: str | None,
    ) -> None:
        """Buffer one executed cell (numbered in the order cells are buffered)."""
        with self._lock:
            self._cell_seq += 1
            self._cells.append(
                {
                    "run_id": self.run_id,
                    "seq": self._cell_seq,
                    "execution_count": execution_count,
                    "source": source,
                    "started": started,
                    "duration": duration,
                    "status": status,
                    "error": error,
                }
            )

    def data_input(
        self,
        *,
        role: str,
        kind: str,
        source: str,
        digest: str,
        size: int | None,
        info: dict[str, Any] | None,
    ) -> None:
        """Buffer data the run used, by digest."""
        with self._lock:
            self._inputs.append(
                {
                    "run_id": self.run_id,
                    "role": role,
                    "kind": kind,
                    "source": source,
                    "digest": digest,
                    "size": size,
                    "info": json.dumps(info or {}, default=str),
                    "created_at": time.time(),
                }
            )
            self.captured.datasets += 1

    def pending(self) -> bool:
        """Whether anything waits for a flush."""
        return bool(self._points or self._params or self._tags or self._cells or self._inputs)

    def flush(self, store: Store, final: tuple[str, str | None] | None = None) -> bool:
        """Write what is buffered; ``final`` (status, error) ends the run in the same transaction,
        so a tracked cell costs one commit at its end.

        Returns:
            Whether anything was written (else the run's heartbeat was not touched either).
        """
        with self._flush_lock:
            with self._lock:
                params, self._params = self._params, {}
                tags, self._tags = self._tags, {}
                points, self._points = self._points, []
                cells, self._cells = self._cells, []
                inputs, self._inputs = self._inputs, []
            if not (params or tags or points or cells or inputs or final):
                return False
            try:
                with store.write() as conn:
                    q.write_batch(
                        store,
                        conn,
                        self.run_id,
                        params=params,
                        tags=tags,
                        metrics=points,
                        cells=cells,
                        inputs=inputs,
                    )
                    if final is not None:
                        status, error = final
                        q.set_status(conn, self.run_id, status, end_time=time.time(), error=error)
                    else:
                        q.heartbeat(conn, [self.run_id])
            except BaseException:
                # Put them back so a later flush can write them.
                with self._lock:
                    self._params = {**params, **self._params}
                    self._tags = {**tags, **self._tags}
                    self._points = points + self._points
                    self._cells = cells + self._cells
                    self._inputs = inputs + self._inputs
                raise
            return True
