"""Where steps run: here, in threads with a kernel pool (``local``), or on a Dask cluster.

``make_executor("local", jobs=N)`` runs up to N steps at once in threads of this process; each
step runs in its own kernel from a :class:`~.kernels.KernelPool` of ``jobs + 3`` kernels that
starts kernels while earlier steps run. ``make_executor("dask://HOST:PORT")`` sends each step
to a Dask scheduler: a worker runs :func:`run_step_on_worker` (a fresh kernel per step) and
returns the picklable :class:`~.execute.StepResult`. A worker lost during a step fails the
step's future with the error Dask raises (``KilledWorker``), never a hang. Dask reruns a task
whose worker died up to ``distributed.scheduler.allowed-failures`` times (default 3) before it
gives up; set it to 0 on the scheduler to fail such a step at once and leave the decision to
the step's ``retries``.

Workers may run on other machines, so a step carries this process's ``MLOPS_*`` settings
(store, artifact store, S3 endpoint...) with it; credentials never travel: give the workers
their own (``AWS_*`` variables, a profile or an instance role).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import importlib
import os
import threading
import time
import uuid
from typing import Any, Protocol
from urllib.parse import urlsplit

from jupyter_mlops.config import CONFIG_KEYS
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.pipelines.execute import (
    START_TIMEOUT,
    StepRequest,
    StepResult,
    execute_step,
    failed_result,
)
from jupyter_mlops.pipelines.forkserver import shared
from jupyter_mlops.pipelines.kernel_env import WARMUP, neutral_env
from jupyter_mlops.pipelines.kernels import KernelPool, in_thread_loop, start_kernel


class Executor(Protocol):
    """Runs steps; the runner submits each step once its dependencies are done."""

    def submit(self, request: StepRequest) -> concurrent.futures.Future[StepResult]: ...

    def prepare(self, n: int) -> None:
        """``n`` steps will run soon: start kernels for them ahead of need."""

    def close(self) -> None: ...


class LocalExecutor:
    """Up to ``jobs`` steps at once in threads; kernels from one pool per kernel name.

    Args:
        jobs: Steps run at once.
        pool_size: Kernels kept ready or starting (default ``jobs + 3``: forked kernels are
            cheap, and on two cores a linear pipeline of trivial steps waits for kernels with
            fewer; never more than the steps announced by :meth:`prepare`).
    """

    def __init__(self, *, jobs: int = 1, pool_size: int | None = None) -> None:
        if jobs < 1:
            raise MlopsUsageError(f"jobs must be 1 or more, not {jobs}.")
        self.jobs = jobs
        self.pool_size = pool_size or jobs + 3
        self._threads = concurrent.futures.ThreadPoolExecutor(
            max_workers=jobs, thread_name_prefix="mlops-step"
        )
        self._pools: dict[str, KernelPool] = {}
        self._lock = threading.Lock()
        self._default = "python3"
        self._closed = False

    def pool(self, kernel: str) -> KernelPool:
        """The kernel pool for the kernelspec ``kernel`` (created on first use)."""
        with self._lock:
            pool = self._pools.get(kernel)
            if pool is None:
                pool = self._pools[kernel] = KernelPool(kernel, size=self.pool_size)
            return pool

    def prepare(self, n: int) -> None:
        """Start kernels of the last kernelspec used (``python3`` at first) for ``n`` steps."""
        self.pool(self._default).prepare(n)
        _preload()  # while the kernels start

    def submit(self, request: StepRequest) -> concurrent.futures.Future[StepResult]:
        """Run ``request`` as soon as a thread is free; its kernel is taken when it starts."""
        if self._closed:
            raise MlopsUsageError("This executor is closed.")
        self._default = request.kernel
        pool = self.pool(request.kernel)
        return self._threads.submit(in_thread_loop, lambda: _run_pooled(pool, request))

    def close(self) -> None:
        """Wait for running steps, then shut down the kernels not used."""
        self._closed = True
        self._threads.shutdown(wait=True)
        for pool in list(self._pools.values()):
            pool.close()

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _preload() -> None:
    """Import papermill and nbclient now, not on the first step's critical path."""
    importlib.import_module("jupyter_mlops.pipelines.engine")


def _run_pooled(pool: KernelPool, request: StepRequest) -> StepResult:
    clock = time.perf_counter()
    try:
        kernel = pool.acquire()
    except Exception as exc:  # noqa: BLE001 - no kernel: the step fails, the runner goes on
        return failed_result(request.output, clock, None, exc)
    return execute_step(request, kernel=kernel)


def run_step_on_worker(request: StepRequest) -> StepResult:
    """Execute one step on a Dask worker in a fresh kernel (picklable, module-level).

    The kernel is forked from the worker's own fork server (:func:`~.forkserver.shared`): a
    worker lives for many steps, so only its first step pays the imports.
    """
    return in_thread_loop(lambda: _run_forked(request))  # type: ignore[no-any-return]


def _run_forked(request: StepRequest) -> StepResult:
    clock = time.perf_counter()
    try:
        kernel = start_kernel(
            request.kernel, env={**neutral_env(), **request.env}, cwd=request.cwd,
            warmup=WARMUP, timeout=START_TIMEOUT, fork_server=shared(),
        )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - a step that cannot start is a failed step
        return failed_result(request.output, clock, None, exc)
    return execute_step(request, kernel=kernel)


class DaskExecutor:
    """Steps on a Dask cluster (``dask[distributed]``); each task runs one step.

    Args:
        address: The scheduler, ``tcp://HOST:PORT``.
        client: An existing ``distributed.Client`` (a seam for tests); not closed here.
        timeout: Seconds to wait for the scheduler to answer.

    Raises:
        MlopsUsageError: dask.distributed is missing, or no scheduler answers at ``address``.
    """

    def __init__(self, address: str, *, client: Any = None, timeout: float = 30) -> None:
        try:
            # An optional dependency, and a slow import: only for a Dask executor.
            from distributed import Client
        except ImportError as exc:
            raise MlopsUsageError(
                "--executor dask://… needs dask.distributed: pip install 'dask[distributed]'."
            ) from exc
        self._owns = client is None
        if client is None:
            try:
                client = Client(address, timeout=timeout)  # type: ignore[no-untyped-call]
            except OSError as exc:
                raise MlopsUsageError(
                    f"No Dask scheduler answers at {address} (waited {timeout:g} s): start one "
                    f"with `dask scheduler`, or check the address."
                ) from exc
        self.client = client

    def prepare(self, n: int) -> None:
        """Nothing to prepare: each worker starts the kernel of its step."""

    def submit(self, request: StepRequest) -> concurrent.futures.Future[StepResult]:
        """Send ``request`` to the cluster; the future fails when its worker is lost."""
        future: concurrent.futures.Future[StepResult] = concurrent.futures.Future()
        request = with_settings(request)
        key = f"mlops-step-{request.step}-{uuid.uuid4().hex}"
        task = self.client.submit(run_step_on_worker, request, pure=False, key=key)

        def done(task: Any) -> None:
            try:
                future.set_result(task.result())
            except BaseException as exc:  # noqa: BLE001 - handed to the runner
                future.set_exception(exc)

        task.add_done_callback(done)
        return future

    def close(self) -> None:
        if self._owns:
            self.client.close()


def with_settings(request: StepRequest, environ: dict[str, str] | None = None) -> StepRequest:
    """``request`` carrying this process's ``MLOPS_*`` settings (the step's own win)."""
    env = os.environ if environ is None else environ
    settings = {
        name: env[name]
        for name in (f"MLOPS_{key.upper()}" for key in CONFIG_KEYS)
        if env.get(name) and name not in request.env
    }
    if not settings:
        return request
    return dataclasses.replace(request, env={**settings, **request.env})


def make_executor(spec: str = "local", *, jobs: int = 1) -> Executor:
    """The executor for ``--executor SPEC``: ``local`` or ``dask://HOST:PORT``.

    Raises:
        MlopsUsageError: Any other spec, or a bad ``jobs``.
    """
    if jobs < 1:
        raise MlopsUsageError(f"--jobs must be 1 or more, not {jobs}.")
    if spec == "local":
        return LocalExecutor(jobs=jobs)
    if spec.startswith("dask://"):
        parts = urlsplit(spec)
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or port is None or parts.path not in ("", "/"):
            raise MlopsUsageError(
                f"Bad executor {spec!r}: write dask://HOST:PORT, e.g. dask://127.0.0.1:8786."
            )
        return DaskExecutor(f"tcp://{parts.hostname}:{port}")
    raise MlopsUsageError(f"Unknown executor {spec!r}: use 'local' or 'dask://HOST:PORT'.")
