"""A run being recorded: the writer side of the tracking API.

A :class:`Run` checks what is logged (:mod:`~jupyter_mlops.tracking.checks`), buffers params,
tags, metric points and cells until the next flush (:mod:`~jupyter_mlops.tracking.buffer`),
and stores files and models at once (:mod:`~jupyter_mlops.tracking.artifacts`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from jupyter_mlops.artifacts import ObjectInfo
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.identity import user_name
from jupyter_mlops.store import Store
from jupyter_mlops.store import runs as q
from jupyter_mlops.tracking import active, after_cell, datasets
from jupyter_mlops.tracking.artifacts import store_artifact, store_model
from jupyter_mlops.tracking.buffer import Captured, RowFactory, RunBuffer
from jupyter_mlops.tracking.checks import (
    check_artifact_name,
    check_key,
    metric_step,
    metric_value,
    param_text,
)
from jupyter_mlops.tracking.environment import cached_environment, capture_environment
from jupyter_mlops.tracking.flusher import DEFERRED, FLUSHER
from jupyter_mlops.tracking.snapshot import (
    environment_values,
    git_diff_row,
    snapshot_in_background,
)


def _in_kernel() -> bool:
    """True inside an IPython shell or Jupyter kernel: a process that outlives its runs."""
    ipython = sys.modules.get("IPython")
    return ipython is not None and ipython.get_ipython() is not None


class Run:
    """A run in progress. Use as a context manager, or call :meth:`end`."""

    def __init__(
        self,
        store: Store,
        *,
        run_id: str,
        name: str,
        experiment: str,
        start_time: float,
        root: Path,
        flush_interval: float = 1.0,
        parent_id: str | None = None,
        notebook_path: str | None = None,
        notebook_digest: str | None = None,
        row: RowFactory | None = None,
        batch_parent: Run | None = None,
    ) -> None:
        self._store = store
        self.id = run_id
        self.name = name
        self.experiment = experiment
        self.start_time = start_time
        self.parent_id = parent_id
        self.notebook_path = notebook_path
        self.notebook_digest = notebook_digest
        self.status = "running"
        self.flush_interval = flush_interval
        self.captured = Captured()
        self.last_heartbeat = start_time
        self._root = root
        self._buffer = RunBuffer(run_id, self.captured, row)
        #: The run whose flush writes this one's records once it ended (a lazy child).
        self._batch_parent = batch_parent
        self._jobs: list[Callable[[], object]] = []
        self._jobs_lock = threading.Lock()
        self._jobs_submitted = False
        self._jobs_running = threading.Lock()  # one runner at a time, jobs in order
        self._env_thread: threading.Thread | None = None
        self._background_error = False
        self._ended = False
        #: (status, error) of an end the store could not record yet.
        self._unwritten_end: tuple[str, str | None] | None = None

    # -- identity ------------------------------------------------------------
    @property
    def short_id(self) -> str:
        return self.id[:8]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.short_id})"

    def __repr__(self) -> str:
        return f"<Run {self.label} {self.status} experiment={self.experiment!r}>"

    @property
    def store(self) -> Store:
        """The store this run writes to.

        A child run started with :meth:`start_child` is written to it first, so that code
        writing rows about the run (an artifact, a dataset link) finds it there.
        """
        self._ensure_row()
        return self._store

    def _ensure_row(self) -> None:
        # Not flush(): a deferred job writing an artifact calls this, inside the job runner.
        if self._buffer.needs_row() and self._buffer.flush(self._store):
            self.last_heartbeat = time.time()

    # -- creation ------------------------------------------------------------
    @classmethod
    def create(
        cls,
        store: Store,
        *,
        name: str,
        experiment: str,
        root: Path,
        user: str,
        host: str,
        parent_id: str | None = None,
        notebook_path: str | None = None,
        notebook_digest: str | None = None,
        flush_interval: float = 1.0,
        capture_env: bool = True,
    ) -> Run:
        """Insert a new ``running`` run and return its writer."""
        now = time.time()
        run_id = uuid.uuid4().hex
        env = cached_environment(root) if capture_env else None
        env_values: dict[str, Any] = {}
        diff_row: dict[str, Any] | None = None
        if env is not None:
            env_values = environment_values(env)
            diff_row = git_diff_row(store, run_id, env)
        with store.write() as conn:
            experiment_id = q.get_or_create_experiment(conn, experiment)
            q.insert_run(
                conn,
                {
                    "id": run_id,
                    "name": name,
                    "experiment_id": experiment_id,
                    "status": "running",
                    "start_time": now,
                    "heartbeat": now,
                    "user_name": user,
                    "host": host,
                    "pid": os.getpid(),
                    "parent_id": parent_id,
                    "notebook_path": notebook_path,
                    "notebook_digest": notebook_digest,
                    **env_values,
                },
            )
            if diff_row is not None:
                q.upsert_artifacts(store, conn, [diff_row])
        run = cls(
            store,
            run_id=run_id,
            name=name,
            experiment=experiment,
            start_time=now,
            root=root,
            flush_interval=flush_interval,
            parent_id=parent_id,
            notebook_path=notebook_path,
            notebook_digest=notebook_digest,
        )
        if capture_env and env is None:
            run._env_thread = snapshot_in_background(store, run_id, root, run.short_id)
        FLUSHER.add(run)
        return run

    def start_child(self, name: str, *, tags: Mapping[str, Any] | None = None) -> Run:
        """Start a short child run of this one, made the active run until it ends.

        Nothing is written when it starts: its row and records go with its first flush, or
        with this run's next flush once it ended, so many short children (one per Optuna
        trial) share transactions instead of costing two commits each. It is in the store
        within about a second (the background flusher), and at the latest when this run
        ends. The child carries the process's latest environment snapshot; the git diff
        artifact stays with this run.
        """
        self._check_open()
        now = time.time()
        run_id = uuid.uuid4().hex
        root = self._root
        values = {
            "id": run_id,
            "name": name,
            "experiment": self.experiment,
            "status": "running",
            "start_time": now,
            "heartbeat": now,
            "user_name": user_name(),
            "host": q.HOST,
            "pid": os.getpid(),
            "parent_id": self.id,
            "notebook_path": self.notebook_path,
            "notebook_digest": self.notebook_digest,
        }

        def row() -> dict[str, Any]:
            # Built when first written (off the caller's path, mostly in the flusher).
            try:
                env = cached_environment(root) or capture_environment(root)
            except Exception:  # noqa: BLE001 - a broken git must not lose the run
                return values
            return {**values, **environment_values(env)}

        child = Run(
            self._store,
            run_id=run_id,
            name=name,
            experiment=self.experiment,
            start_time=now,
            root=root,
            flush_interval=self.flush_interval,
            parent_id=self.id,
            notebook_path=self.notebook_path,
            notebook_digest=self.notebook_digest,
            row=row,
            batch_parent=self,
        )
        if tags:
            child.set_tags(tags)
        FLUSHER.add(child)  # a long child is written within a second, like any run
        active.push(child)
        return child

    # -- logging -------------------------------------------------------------
    def _check_open(self) -> None:
        if self._ended:
            raise MlopsUsageError(f"Run {self.label} has ended; start a new run to log more.")

    def log_param(self, key: str, value: Any) -> None:
        """Record a hyperparameter (last value wins within a run)."""
        self._check_open()
        check_key("param", key)
        self._buffer.param(key, param_text(key, value))

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Record several params."""
        for key, value in params.items():
            self.log_param(key, value)

    def set_tag(self, key: str, value: Any) -> None:
        """Set a tag (a free-form label such as ``owner=ana``)."""
        self._check_open()
        check_key("tag", key)
        self._buffer.tag(key, str(value))

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set several tags."""
        for key, value in tags.items():
            self.set_tag(key, value)

    def log_metric(
        self, key: str, value: Any, step: int | None = None, *, timestamp: float | None = None
    ) -> int:
        """Record one metric point; without ``step`` the key's next step (0, 1, 2, …) is used.

        Returns:
            The step the point was stored at.
        """
        self._check_open()
        check_key("metric", key)
        number = metric_value(key, value)
        given = None if step is None else metric_step(key, step)
        return self._buffer.point(key, number, given, timestamp)

    def _expect_metric(self, key: str) -> None:
        """Count metric ``key`` in :attr:`captured` before it is logged (capture work put off
        until after the cell's receipt, :mod:`.after_cell`, which must count what it logs)."""
        self._check_open()
        check_key("metric", key)
        self._buffer.expect(key)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Record several metrics at one step."""
        for key, value in metrics.items():
            self.log_metric(key, value, step)

    def log_artifact(
        self,
        source: str | os.PathLike[str] | bytes,
        name: str | None = None,
        *,
        kind: str = "artifact",
        media_type: str | None = None,
    ) -> list[ObjectInfo]:
        """Store a file, a folder (each file under ``name/``) or bytes as run artifacts.

        Returns:
            The stored objects (one per file).
        """
        self._check_open()
        stored = store_artifact(self.store, self.id, source, name, kind=kind, media_type=media_type)
        if kind == "figure":
            self.captured.figures += len(stored)
        elif kind in ("artifact", "table"):
            self.captured.artifacts += len(stored)
        return stored

    def log_model(
        self,
        model: Any,
        name: str = "model",
        *,
        input_example: Any = None,
        signature: dict[str, Any] | None = None,
    ) -> ObjectInfo:
        """Store a fitted model (skops for scikit-learn; pickle otherwise) with its signature."""
        self._check_open()
        name = check_artifact_name(name)
        info = store_model(
            self.store, self.id, model, name, input_example=input_example, signature=signature
        )
        if name not in self.captured.models:
            self.captured.models.append(name)
        return info

    def log_input(
        self,
        *,
        role: str,
        kind: str,
        source: str,
        digest: str,
        size: int | None = None,
        info: dict[str, Any] | None = None,
    ) -> None:
        """Record data the run used (a file read, a frame fitted on) by digest.

        Written with the next flush, like params and metrics.
        """
        self._check_open()
        self._buffer.data_input(
            role=role, kind=kind, source=source, digest=digest, size=size, info=info
        )

    def log_dataset(
        self,
        source: Any,
        name: str | None = None,
        *,
        role: str = "input",
        description: str | None = None,
    ) -> Any:
        """Version ``source`` (a path, folder or DataFrame) as a dataset and link it to this run.

        Args:
            source: The data to version.
            name: The dataset name (default: the file name without its extension).
            role: ``training``, ``evaluation``, ``input``, ``reference``, ``current`` or
                ``product`` (an output of the run).
            description: A note stored with a new version.

        Returns:
            The :class:`~jupyter_mlops.data.DatasetVersion` linked.
        """
        return datasets.log_dataset(self, source, name, role=role, description=description)

    def log_cell(
        self,
        source: str,
        *,
        execution_count: int | None,
        started: float,
        duration: float | None,
        status: str,
        error: str | None = None,
    ) -> None:
        """Record one executed cell's source, timing and outcome (written with the next flush)."""
        self._buffer.cell(
            source,
            execution_count=execution_count,
            started=started,
            duration=duration,
            status=status,
            error=error,
        )

    # -- durability ----------------------------------------------------------
    def has_pending(self) -> bool:
        return self._unwritten_end is not None or self._buffer.pending()

    # -- capture work done off the cell's path ---------------------------------
    def defer(self, job: Callable[[], object]) -> None:
        """Run ``job`` (which logs into this run) in a background thread, after the cell.

        For capture work a user should not wait for: rendering a statsmodels summary, the
        first model saved while its serializer still imports. The background flusher hands
        the jobs to a worker thread at its next round (within about a second, so they do not
        compete with the rest of the cell); the run's :meth:`flush` and :meth:`end` finish
        the jobs still waiting first, so what they log is never lost. A job that raises is
        dropped: capture never breaks a run.
        """
        self._check_open()
        with self._jobs_lock:
            self._jobs.append(job)

    def submit_deferred(self) -> None:
        """Hand the deferred jobs to the background worker (the flusher calls this)."""
        with self._jobs_lock:
            if not self._jobs or self._jobs_submitted:
                return
            self._jobs_submitted = True
        DEFERRED.submit(self._run_deferred)

    def _run_deferred(self) -> None:
        with self._jobs_running:
            try:
                self._run_jobs()
            finally:
                with self._jobs_lock:
                    self._jobs_submitted = False

    def _run_jobs(self) -> None:
        while True:
            with self._jobs_lock:
                if not self._jobs:
                    return
                job = self._jobs.pop(0)
            with contextlib.suppress(Exception):
                job()

    def flush(self, *, jobs: bool = True) -> None:
        """Write buffered params, tags, metric points and cells; durable when this returns.

        Capture work deferred off a cell (:meth:`defer`) is finished first, unless ``jobs`` is
        False (the background flusher, which must not wait for it).
        """
        if self._unwritten_end is not None:
            self._write_end()
            return
        if jobs:
            self._run_deferred()
        if self._buffer.flush(self._store):
            self.last_heartbeat = time.time()

    def _write_end(self) -> None:
        if self._unwritten_end is None:
            return
        # What was still buffered goes with it: nothing logged is lost once the store recovers.
        self._buffer.flush(self._store, final=self._unwritten_end)
        self._unwritten_end = None
        FLUSHER.discard(self)

    def _end_unrecorded(self, error: str | None, exc: Exception) -> None:
        """The run's last records could not be written: it ends ``failed``, saying why.

        Recorded now if the store takes this one small write, else retried in the
        background while the process lives, so a store that recovers (disk space freed)
        shows ``failed``, never ``killed``.
        """
        why = f"The store could not be written when this run ended: {exc}"
        self.status = "failed"
        self._unwritten_end = ("failed", f"{error}\n{why}" if error else why)
        try:
            self._write_end()
        except Exception:  # noqa: BLE001 - retried below; the caller gets ``exc``
            FLUSHER.add(self)  # while the process lives
            atexit.register(self._last_try)  # and once more as it exits (a script)

    def _last_try(self) -> None:
        # Still refused: the run is marked killed when a reader finds its process gone.
        with contextlib.suppress(Exception):
            self._write_end()

    def beat(self) -> None:
        with self._store.write() as conn:
            q.heartbeat(conn, [self.id])
        self.last_heartbeat = time.time()

    def note_background_error(self) -> None:
        self._background_error = True

    def wait_for_environment(self, timeout: float = 10.0) -> None:
        """Block until the environment snapshot is stored (it is written in the background)."""
        if self._env_thread is not None:
            self._env_thread.join(timeout)

    def end(self, status: str = "finished", *, error: str | None = None) -> None:
        """Flush and mark the run ``finished``, ``failed`` or ``killed`` (idempotent)."""
        if self._ended:
            return
        if status not in q.TERMINAL:
            raise MlopsUsageError(f"status must be one of {', '.join(q.TERMINAL)}, not {status!r}.")
        after_cell.run_pending(self)  # what capture put off until the cell's output
        self._run_deferred()
        FLUSHER.discard(self)
        self.status = status
        parent = self._batch_parent
        if parent is not None and parent._buffer.adopt(self._buffer, (status, error)):
            # A lazy child: its parent's next flush writes it (within about a second).
            self._ended = True
            active.pop(self)
            return
        try:
            if self._buffer.flush(self._store, final=(status, error)):
                self.last_heartbeat = time.time()
        except Exception as exc:
            self._end_unrecorded(error, exc)
            raise
        except BaseException:
            self._ensure_row()
            with self._store.write() as conn:
                q.set_status(conn, self.id, status, end_time=time.time(), error=error)
            raise
        finally:
            self._ended = True
            # An ended run is no longer the active run, nor the parent of the next one.
            active.pop(self)
        # In a kernel the process outlives the run, so the snapshot thread finishes on
        # its own; a script may exit right away, so wait for it there.
        if not _in_kernel():
            self.wait_for_environment()

    @property
    def ended(self) -> bool:
        return self._ended

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                self.end("finished")
            elif isinstance(exc, KeyboardInterrupt):
                self.end("killed", error="Interrupted (KeyboardInterrupt).")
            else:
                text = "".join(traceback.format_exception(exc_type, exc, tb))
                self.end("failed", error=text)
        finally:
            active.pop(self)
