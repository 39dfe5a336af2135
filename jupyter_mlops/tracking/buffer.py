"""What a run buffers between flushes, and the flush that writes it in one transaction.

Params, tags, metric points, executed cells and data inputs are kept in memory and written
together by :meth:`RunBuffer.flush` (the background flusher calls it about once a second, and
the run's end with its final status). A short child run (an Optuna trial) can be started
without a write and hand its records, its own row included, to its parent when it ends
(:meth:`RunBuffer.adopt`): the parent's next flush writes many
children in one transaction. Logging goes on while a batch is written: a write
waiting on another process's lock must not stall the user's ``log_metric`` calls.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_mlops.store import Store
from jupyter_mlops.store import runs as q

if TYPE_CHECKING:
    from sqlalchemy import Connection


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

    def __init__(self, run_id: str, captured: Captured, row: RowFactory | None = None) -> None:
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
        self._row = row  # the run's row, when the run is not in the store yet
        self._children: list[Batch] = []  # ended child runs handed over, written first
        self._closed = False  # the run's end was taken for writing: no more children

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

    def expect(self, key: str) -> None:
        """Count metric ``key`` now; its first point (logged later) goes at step 0."""
        with self._lock:
            if key not in self._next_step:
                self.captured.metrics += 1
                self._next_step[key] = 0

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
        return bool(
            self._row is not None
            or self._children
            or self._points
            or self._params
            or self._tags
            or self._cells
            or self._inputs
        )

    def needs_row(self) -> bool:
        """Whether the run's own row is still to be written (a child not flushed yet)."""
        return self._row is not None

    def _take(self, final: tuple[str, str | None] | None, ended: float | None) -> list[Batch]:
        # Called with self._lock held: this run's records as batches, its children's first.
        own = Batch(
            self.run_id,
            self._row,
            self._params,
            self._tags,
            self._points,
            self._cells,
            self._inputs,
            final,
            ended,
        )
        batches = [*self._children, own]
        self._row, self._children = None, []
        self._params, self._tags, self._points = {}, {}, []
        self._cells, self._inputs = [], []
        return batches

    def _put_back(self, batches: list[Batch]) -> None:
        # A write failed: keep what it held so a later flush writes it (older first).
        own = batches[-1]
        with self._lock:
            self._closed = False
            self._row = own.row if self._row is None else self._row
            self._children = batches[:-1] + self._children
            self._params = {**own.params, **self._params}
            self._tags = {**own.tags, **self._tags}
            self._points = own.points + self._points
            self._cells = own.cells + self._cells
            self._inputs = own.inputs + self._inputs

    def adopt(self, child: RunBuffer, final: tuple[str, str | None]) -> bool:
        """Take everything ``child`` buffered, with its end ``final``, into this run's next
        flush; False (nothing taken) once this run's own end is being written.

        Many short child runs (an Optuna study's trials) then cost one transaction per flush
        instead of two each. A flush of the child in progress is waited for, so the parent
        never writes before it.
        """
        with child._flush_lock, child._lock, self._lock:
            if self._closed:
                return False
            self._children.extend(child._take(final, time.time()))
            return True

    def flush(self, store: Store, final: tuple[str, str | None] | None = None) -> bool:
        """Write what is buffered; ``final`` (status, error) ends the run in the same transaction,
        so a tracked cell costs one commit at its end.

        Returns:
            Whether anything was written (else the run's heartbeat was not touched either).
        """
        with self._flush_lock:
            with self._lock:
                if not (self.pending() or final):
                    return False
                batches = self._take(final, time.time() if final else None)
                self._closed = final is not None
            try:
                with store.write() as conn:
                    for batch in batches:
                        write(store, conn, batch)
                    if final is None:
                        q.heartbeat(conn, [self.run_id])
            except BaseException:
                self._put_back(batches)
                raise
            return True


@dataclass
class Batch:
    """What one flush writes for one run."""

    run_id: str
    #: The run's own row when it is not in the store yet (a child run started lazily):
    #: built by this function when written; ``experiment`` is a name, not an id.
    row: RowFactory | None
    params: dict[str, str]
    tags: dict[str, str]
    points: list[tuple[str, int, float, float]]
    cells: list[dict[str, Any]]
    inputs: list[dict[str, Any]]
    final: tuple[str, str | None] | None = None
    ended: float | None = None


RowFactory = Callable[[], dict[str, Any]]


def write(store: Store, conn: Connection, batch: Batch) -> None:
    """Write one batch inside the open transaction ``conn``."""
    if batch.row is not None:
        row = dict(batch.row())
        row["experiment_id"] = q.get_or_create_experiment(conn, row.pop("experiment"))
        q.insert_run(conn, row)
    q.write_batch(
        store,
        conn,
        batch.run_id,
        params=batch.params,
        tags=batch.tags,
        metrics=batch.points,
        cells=batch.cells,
        inputs=batch.inputs,
    )
    if batch.final is not None:
        status, error = batch.final
        q.set_status(conn, batch.run_id, status, end_time=batch.ended, error=error)
