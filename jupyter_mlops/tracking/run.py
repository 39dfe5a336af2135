"""A run being recorded: the writer side of the tracking API."""

from __future__ import annotations

import atexit
import json
import mimetypes
import operator
import os
import sys
import threading
import time
import traceback
import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any

from jupyter_mlops.artifacts import ObjectInfo
from jupyter_mlops.errors import MlopsUsageError, MlopsWarning
from jupyter_mlops.store import Store
from jupyter_mlops.store import runs as q
from jupyter_mlops.tracking import datasets
from jupyter_mlops.tracking.environment import (
    Environment,
    cached_environment,
    capture_environment,
)
from jupyter_mlops.tracking.flusher import FLUSHER
from jupyter_mlops.tracking.models_io import infer_signature, serialize_model

MAX_KEY = 250


@dataclass
class Captured:
    """Counts of what a run captured, for the one-line summary."""

    params: int = 0
    metrics: int = 0
    models: list[str] = field(default_factory=list)
    datasets: int = 0
    figures: int = 0
    artifacts: int = 0


def check_key(kind: str, key: Any) -> str:
    if not isinstance(key, str) or not key.strip():
        raise MlopsUsageError(f"A {kind} name must be a non-empty string, not {key!r}.")
    if len(key) > MAX_KEY:
        raise MlopsUsageError(f"The {kind} name {key[:40]!r}… is longer than {MAX_KEY} characters.")
    if "\x00" in key:
        raise MlopsUsageError(f"The {kind} name {key!r} contains a NUL character.")
    return key


def check_artifact_name(name: Any) -> str:
    """Reject names that could escape the run's artifact namespace."""
    if not isinstance(name, str) or not name.strip():
        raise MlopsUsageError(f"An artifact name must be a non-empty string, not {name!r}.")
    if "\x00" in name:
        raise MlopsUsageError(f"Artifact name {name!r} contains a NUL character; remove it.")
    if "\\" in name:
        raise MlopsUsageError(f"Artifact name {name!r} contains a backslash; use '/' to nest.")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise MlopsUsageError(f"Artifact name {name!r} is absolute; give a relative name.")
    parts = PurePosixPath(name).parts
    if any(part == ".." for part in parts):
        raise MlopsUsageError(f"Artifact name {name!r} contains '..'; give a name inside the run.")
    if len(name) > 500:
        raise MlopsUsageError("Artifact names are limited to 500 characters.")
    return "/".join(p for p in parts if p != ".")


def param_text(key: str, value: Any) -> str:
    """Stored form of a param value: text for scalars, JSON for containers, else repr."""
    if isinstance(value, str):
        return value
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        value = item()
    if value is None or isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, list | tuple | dict):
        try:
            return json.dumps(value, sort_keys=isinstance(value, dict))
        except (TypeError, ValueError):
            pass
    warnings.warn(
        f"param {key!r}: {type(value).__name__} is not JSON-serializable; stored its repr.",
        MlopsWarning,
        stacklevel=3,
    )
    return repr(value)


def _as_step(key: str, step: Any) -> int:
    # operator.index accepts numpy integers (np.arange steps), not floats or strings.
    try:
        if isinstance(step, bool):
            raise TypeError
        return operator.index(step)
    except TypeError:
        raise MlopsUsageError(f"metric {key!r}: step must be an integer, not {step!r}.") from None


def metric_value(key: str, value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise MlopsUsageError(
            f"metric {key!r} must be a number, not {type(value).__name__} {value!r}."
        ) from None


def _artifact_row(
    run_id: str, path: str, info: ObjectInfo, kind: str, media_type: str | None
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "path": path,
        "digest": info.digest,
        "size": info.size,
        "media_type": media_type or mimetypes.guess_type(path)[0] or "application/octet-stream",
        "kind": kind,
        "created_at": time.time(),
    }


def _environment_values(env: Environment) -> dict[str, Any]:
    return {
        "environment": json.dumps(env.info, default=str),
        "git_commit": env.git.commit,
        "git_branch": env.git.branch,
        "git_dirty": env.git.dirty,
    }


def _in_kernel() -> bool:
    """True inside an IPython shell or Jupyter kernel: a process that outlives its runs."""
    ipython = sys.modules.get("IPython")
    return ipython is not None and ipython.get_ipython() is not None


_pending_env: list[threading.Thread] = []


@atexit.register
def join_environment_threads(timeout: float = 10.0) -> None:
    """Wait for background environment snapshots (before a process or kernel goes away)."""
    for thread in list(_pending_env):
        thread.join(timeout=timeout)


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
    ) -> None:
        self.store = store
        self.id = run_id
        self.name = name
        self.experiment = experiment
        self.start_time = start_time
        self.parent_id = parent_id
        self.status = "running"
        self.flush_interval = flush_interval
        self.captured = Captured()
        self.last_heartbeat = start_time
        self._root = root
        self._lock = threading.RLock()  # guards the buffers; never held while writing
        self._flush_lock = threading.Lock()  # keeps flushes in order (last param value wins)
        self._params: dict[str, str] = {}
        self._tags: dict[str, str] = {}
        self._points: list[tuple[str, int, float, float]] = []
        self._next_step: dict[str, int] = {}
        self._cell_seq = 0
        self._cells: list[dict[str, Any]] = []
        self._inputs: list[dict[str, Any]] = []
        self._env_thread: threading.Thread | None = None
        self._env: Environment | None = None
        self._background_error = False
        self._ended = False

    # -- identity ------------------------------------------------------------
    @property
    def short_id(self) -> str:
        return self.id[:8]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.short_id})"

    def __repr__(self) -> str:
        return f"<Run {self.label} {self.status} experiment={self.experiment!r}>"

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
            env_values = _environment_values(env)
            if env.git.diff:
                diff = store.objects.put_bytes(env.git.diff)
                diff_row = _artifact_row(run_id, "git.diff", diff, "git", "text/x-diff")
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
        )
        if capture_env and env is None:
            # git and package metadata cost tens of ms: keep them off the cell's critical path.
            run._env_thread = threading.Thread(
                target=run._capture_env, name=f"mlops-env-{run.short_id}", daemon=True
            )
            run._env_thread.start()
            _pending_env[:] = [th for th in _pending_env if th.is_alive()]
            _pending_env.append(run._env_thread)
        FLUSHER.add(run)
        return run

    def _capture_env(self) -> None:
        try:
            self._env = capture_environment(self._root)
            self._store_environment(self._env)
        except Exception:  # noqa: BLE001 - a broken git or metadata must not break the run
            self._env = None

    # -- logging -------------------------------------------------------------
    def _check_open(self) -> None:
        if self._ended:
            raise MlopsUsageError(f"Run {self.label} has ended; start a new run to log more.")

    def log_param(self, key: str, value: Any) -> None:
        """Record a hyperparameter (last value wins within a run)."""
        self._check_open()
        check_key("param", key)
        with self._lock:
            if key not in self._params:
                self.captured.params += 1
            self._params[key] = param_text(key, value)

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Record several params."""
        for key, value in params.items():
            self.log_param(key, value)

    def set_tag(self, key: str, value: Any) -> None:
        """Set a tag (a free-form label such as ``owner=ana``)."""
        self._check_open()
        check_key("tag", key)
        with self._lock:
            self._tags[key] = str(value)

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
        with self._lock:
            step = self._next_step.get(key, 0) if step is None else _as_step(key, step)
            if key not in self._next_step:
                self.captured.metrics += 1
            self._next_step[key] = max(self._next_step.get(key, 0), step + 1)
            self._points.append((key, step, number, timestamp or time.time()))
        return step

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
        if isinstance(source, bytes | bytearray | memoryview):
            if name is None:
                raise MlopsUsageError(
                    "Give a name when logging bytes: log_artifact(data, 'x.bin')."
                )
            path = check_artifact_name(name)
            info = self.store.objects.put_bytes(bytes(source))
            self._record_artifact(path, info, kind, media_type)
            return [info]
        src = Path(source)
        if not src.exists():
            raise MlopsUsageError(f"No file or folder {str(src)!r} to log as an artifact.")
        base = check_artifact_name(name if name is not None else src.name)
        if src.is_dir():
            stored: list[ObjectInfo] = []
            for file in sorted(p for p in src.rglob("*") if p.is_file()):
                rel = file.relative_to(src).as_posix()
                info = self.store.objects.put_file(file)
                self._record_artifact(f"{base}/{rel}", info, kind, None)
                stored.append(info)
            return stored
        info = self.store.objects.put_file(src)
        self._record_artifact(base, info, kind, media_type)
        return [info]

    def _record_artifact(
        self, path: str, info: ObjectInfo, kind: str, media_type: str | None
    ) -> None:
        row = _artifact_row(self.id, path, info, kind, media_type)
        with self.store.write() as conn:
            q.upsert_artifacts(self.store, conn, [row])
        self._count_artifact(kind)

    def _count_artifact(self, kind: str) -> None:
        if kind == "figure":
            self.captured.figures += 1
        elif kind in ("artifact", "table"):
            self.captured.artifacts += 1

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
        serialized = serialize_model(model)
        if signature is None and input_example is not None:
            signature = infer_signature(input_example)
        info = self.store.objects.put_bytes(serialized.data)
        path = f"models/{name}.{serialized.format}"
        artifact = _artifact_row(self.id, path, info, "model", serialized.media_type)
        with self.store.write() as conn:
            q.upsert_artifacts(self.store, conn, [artifact])
            q.upsert_logged_model(
                self.store,
                conn,
                {
                    "run_id": self.id,
                    "name": name,
                    "digest": info.digest,
                    "size": info.size,
                    "flavor": serialized.flavor,
                    "format": serialized.format,
                    "class_name": serialized.class_name,
                    "signature": json.dumps(signature) if signature else None,
                    "created_at": time.time(),
                },
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
        with self._lock:
            self._inputs.append(
                {
                    "run_id": self.id,
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
        with self._lock:
            self._cell_seq += 1
            self._cells.append(
                {
                    "run_id": self.id,
                    "seq": self._cell_seq,
                    "execution_count": execution_count,
                    "source": source,
                    "started": started,
                    "duration": duration,
                    "status": status,
                    "error": error,
                }
            )

    # -- durability ----------------------------------------------------------
    def has_pending(self) -> bool:
        return bool(self._points or self._params or self._tags or self._cells or self._inputs)

    def flush(self) -> None:
        """Write buffered params, tags, metric points and cells; durable when this returns."""
        self._flush(final=None)

    def _flush(self, final: tuple[str, str | None] | None) -> None:
        # Logging goes on while the batch is written: a write waiting on another
        # process's lock must not stall the user's log_metric calls. ``final`` ends the
        # run in the same transaction, so a tracked cell costs one commit at its end.
        with self._flush_lock:
            with self._lock:
                params, self._params = self._params, {}
                tags, self._tags = self._tags, {}
                points, self._points = self._points, []
                cells, self._cells = self._cells, []
                inputs, self._inputs = self._inputs, []
            if not (params or tags or points or cells or inputs or final):
                return
            try:
                with self.store.write() as conn:
                    q.write_batch(
                        self.store,
                        conn,
                        self.id,
                        params=params,
                        tags=tags,
                        metrics=points,
                        cells=cells,
                        inputs=inputs,
                    )
                    if final is not None:
                        q.set_status(conn, self.id, final[0], end_time=time.time(), error=final[1])
                    else:
                        q.heartbeat(conn, [self.id])
            except BaseException:
                # Put them back so a later flush can write them.
                with self._lock:
                    self._params = {**params, **self._params}
                    self._tags = {**tags, **self._tags}
                    self._points = points + self._points
                    self._cells = cells + self._cells
                    self._inputs = inputs + self._inputs
                raise
            self.last_heartbeat = time.time()

    def beat(self) -> None:
        with self.store.write() as conn:
            q.heartbeat(conn, [self.id])
        self.last_heartbeat = time.time()

    def note_background_error(self) -> None:
        self._background_error = True

    def _store_environment(self, env: Environment) -> None:
        if env.git.diff:
            info = self.store.objects.put_bytes(env.git.diff)
            self._record_artifact("git.diff", info, "git", "text/x-diff")
        with self.store.write() as conn:
            q.set_environment(conn, self.id, _environment_values(env))

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
        from jupyter_mlops.tracking import fluent

        FLUSHER.discard(self)
        try:
            self._flush(final=(status, error))
        except BaseException:
            with self.store.write() as conn:
                q.set_status(conn, self.id, status, end_time=time.time(), error=error)
            raise
        finally:
            self.status = status
            self._ended = True
            # An ended run is no longer the active run, nor the parent of the next one.
            fluent._pop(self)
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
        from jupyter_mlops.tracking import fluent

        try:
            if exc is None:
                self.end("finished")
            elif isinstance(exc, KeyboardInterrupt):
                self.end("killed", error="Interrupted (KeyboardInterrupt).")
            else:
                text = "".join(traceback.format_exception(exc_type, exc, tb))
                self.end("failed", error=text)
        finally:
            fluent._pop(self)
