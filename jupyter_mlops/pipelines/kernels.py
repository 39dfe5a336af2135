"""Kernels started ahead of need: every step gets a fresh kernel, none waits for one to start.

A kernel takes about a second to start while a trivial step runs in tens of milliseconds, so
:class:`KernelPool` starts kernels in background threads before they are asked for. A kernel is
never reused: :meth:`KernelPool.acquire` hands one out, the step runs in it, and
:meth:`PooledKernel.retire` shuts it down (in the background when it came from a pool).

Pooled kernels start with a neutral environment (the step variables ``MLOPS_RUN_ID``,
``MLOPS_PIPELINE_RUN``, ``MLOPS_STEP`` and ``MLOPS_NOTEBOOK`` removed) in the pool's working
folder; the step's own environment and folder are applied by a hidden bootstrap before the
notebook runs (see :mod:`jupyter_mlops.pipelines.execute`). A pooled kernel also imports the
attach code while it waits (``warmup``), so the bootstrap costs a few milliseconds. Kernels of
ipykernel kernelspecs naming this interpreter are forked from a fork server that imported their
code once (see :mod:`jupyter_mlops.pipelines.forkserver`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_client.manager import KernelManager
from jupyter_core.utils import ensure_event_loop

from jupyter_mlops.errors import KernelStartError
from jupyter_mlops.kernel_transport import ipc_transport
from jupyter_mlops.pipelines.forkserver import ForkServer, shared
from jupyter_mlops.pipelines.kernel_env import WARMUP, neutral_env

ASYNC_CLIENT = "jupyter_client.asynchronous.AsyncKernelClient"
#: As nbclient does: a kernel's input history stays in memory (no shared SQLite file).
HISTORY_IN_MEMORY = "--HistoryManager.hist_file=:memory:"


def in_thread_loop(func: Callable[[], Any]) -> Any:
    """Call ``func`` and close the event loop jupyter_client made for this thread.

    jupyter_client's blocking calls run on a loop kept per thread; a thread that ends with it
    open leaves an unclosed loop behind (a ResourceWarning at collection).
    """
    try:
        return func()
    finally:
        ensure_event_loop().close()


class PooledKernel:
    """A started kernel that runs exactly one step, then is shut down."""

    def __init__(
        self,
        km: KernelManager,
        *,
        requested_at: float,
        ready_at: float,
        retire: Callable[[PooledKernel], None] | None = None,
    ) -> None:
        self.km = km
        #: ``time.monotonic()`` when its start was asked for, and when it was ready.
        self.requested_at = requested_at
        self.ready_at = ready_at
        self._retire = retire
        self._retired = False

    @property
    def kernel_name(self) -> str:
        return str(self.km.kernel_name)

    @property
    def language(self) -> str:
        return str(self.km.kernel_spec.language if self.km.kernel_spec else "")

    @property
    def pid(self) -> int | None:
        process = getattr(self.km.provisioner, "process", None)
        pid = getattr(process, "pid", None)
        return int(pid) if pid is not None else None

    def is_alive(self) -> bool:
        return bool(self.km.is_alive())

    def interrupt(self) -> None:
        """Send SIGINT (KeyboardInterrupt in the running cell)."""
        self._signal(signal.SIGINT)

    def kill(self) -> None:
        """Kill the kernel process at once (the step sees a dead kernel)."""
        self._signal(signal.SIGKILL)

    def _signal(self, signum: int) -> None:
        pid = self.pid
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    def exit_code(self) -> int | None:
        """The kernel process's exit status once it has exited (negative: killed by a signal)."""
        process = getattr(self.km.provisioner, "process", None)
        poll = getattr(process, "poll", None)
        return poll() if callable(poll) else None

    def retire(self) -> None:
        """Shut the kernel down (in the pool's background when it came from a pool)."""
        if self._retired:
            return
        self._retired = True
        if self._retire is not None:
            self._retire(self)
        else:
            shutdown(self)


def shutdown(kernel: PooledKernel) -> None:
    """Kill ``kernel`` and remove its connection file; safe on a kernel already dead."""

    def stop() -> None:
        km = kernel.km
        try:
            if km.has_kernel:
                km.shutdown_kernel(now=True)
        except RuntimeError:
            pass
        finally:
            km.cleanup_resources()

    in_thread_loop(stop)


def start_kernel(
    kernel_name: str = "python3",
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    warmup: str | None = None,
    timeout: float = 60.0,
    fork_server: ForkServer | None = None,
) -> PooledKernel:
    """Start a kernel and wait until it answers (and ran ``warmup``).

    Args:
        kernel_name: The kernelspec name.
        env: The kernel's whole environment (default: :func:`neutral_env`).
        cwd: Its working folder (default: this process's).
        warmup: Code run silently once it is up (imports), or None.
        timeout: Seconds to wait for it to answer.
        fork_server: Fork the kernel from this server instead of starting a new interpreter
            (for ``ipykernel`` kernelspecs of this interpreter; others start as usual).

    Returns:
        The ready kernel.

    Raises:
        KernelStartError: It did not start or did not answer in time.
    """
    requested = time.monotonic()

    def start() -> KernelManager:
        km = KernelManager(kernel_name=kernel_name, client_class=ASYNC_CLIENT, **ipc_transport())
        try:
            if fork_server is not None:
                fork_server.adopt(km)
            km.start_kernel(
                env=dict(neutral_env() if env is None else env),
                cwd=str(cwd or Path.cwd()),
                extra_arguments=[HISTORY_IN_MEMORY],
            )
            client = km.blocking_client()
            client.start_channels()
            try:
                _wait_ready(km, client, timeout)
                if warmup:
                    msg_id = client.execute(warmup, silent=True, store_history=False)
                    client.get_shell_msg(timeout=timeout)  # any outcome: warmup only saves time
                    del msg_id
            finally:
                client.stop_channels()
                client.context.destroy(linger=0)
        except Exception as exc:
            try:
                if km.has_kernel:
                    km.shutdown_kernel(now=True)
            finally:
                km.cleanup_resources()
            raise KernelStartError(
                f"Kernel {kernel_name!r} did not start: {type(exc).__name__}: {exc}",
                kernel_name=kernel_name,
            ) from exc
        return km

    try:
        km = in_thread_loop(start)
    except KernelStartError:
        if fork_server is None:
            raise
        fork_server = None  # a broken fork server must not stop the pipeline: start plainly
        km = in_thread_loop(start)
    return PooledKernel(km, requested_at=requested, ready_at=time.monotonic())


def _wait_ready(km: KernelManager, client: Any, timeout: float) -> None:
    """Wait until the kernel answers on shell and its IOPub messages reach ``client``.

    jupyter_client's ``wait_for_ready`` does the same, then drains IOPub for a fixed 0.2 s.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg_id = client.kernel_info()
        answered = time.monotonic() + 1.0
        replied = False
        while not replied and time.monotonic() < answered:
            try:
                reply = client.get_shell_msg(timeout=max(0.01, answered - time.monotonic()))
            except Empty:
                break
            replied = reply.get("parent_header", {}).get("msg_id") == msg_id
        if not replied:
            if not km.is_alive():
                raise RuntimeError("The kernel died during start-up.")
            continue
        try:
            client.get_iopub_msg(timeout=0.2)  # the busy/idle of kernel_info: IOPub is connected
        except Empty:
            continue
        return
    raise RuntimeError(f"The kernel did not answer within {timeout:g} s.")


Starter = Callable[[str], PooledKernel]


class KernelPool:
    """Fresh kernels of one kernelspec, started in background threads before they are needed.

    :meth:`prepare` says how many steps will run soon; the pool keeps up to
    ``min(announced steps not yet started, size)`` kernels ready or starting, and starts none
    when no step is announced (then :meth:`acquire` starts one on demand).

    Args:
        kernel_name: The kernelspec name.
        size: Most kernels kept ready or starting at once (the local executor uses ``jobs + 3``).
        warmup: Code run in each kernel once it is up, before it is handed out.
        starter: Starts one kernel (a seam for tests); default :func:`start_kernel`.
        fork: Fork kernels from this process's :func:`~.forkserver.shared` fork server
            (ipykernel kernelspecs of this Python); each is still a fresh process that never
            ran a step.
    """

    def __init__(
        self,
        kernel_name: str = "python3",
        *,
        size: int = 2,
        warmup: str | None = WARMUP,
        start_timeout: float = 60.0,
        starter: Starter | None = None,
        fork: bool = True,
    ) -> None:
        if size < 1:
            raise ValueError("A kernel pool needs a size of at least 1.")
        self.kernel_name = kernel_name
        self.size = size
        self.fork_server: ForkServer | None = None
        if fork and starter is None:
            self.fork_server = shared()
            self.fork_server.start()  # its imports overlap whatever runs before the first step
        self._start: Starter = starter or (
            lambda name: start_kernel(
                name, warmup=warmup, timeout=start_timeout, fork_server=self.fork_server
            )
        )
        self._cond = threading.Condition()
        self._ready: deque[PooledKernel] = deque()
        self._starting = 0
        self._wanted = 0
        self._errors: list[BaseException] = []
        self._threads: set[threading.Thread] = set()
        self._closed = False
        #: How many kernels this pool started (tests and benchmarks read it).
        self.started = 0

    # -- demand ----------------------------------------------------------------
    def prepare(self, n: int) -> None:
        """Say that ``n`` steps will run soon: start kernels for them now."""
        with self._cond:
            self._wanted = max(0, n)
            self._top_up()

    def acquire(self, timeout: float | None = None) -> PooledKernel:
        """A ready kernel for one step; waits for one being started, or starts one.

        Raises:
            KernelStartError: No kernel could be started (or none in ``timeout`` seconds).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            if self._closed:
                raise KernelStartError("The kernel pool is closed.", kernel_name=self.kernel_name)
            self._wanted = max(0, self._wanted - 1)
            while True:
                while self._ready:
                    kernel = self._ready.popleft()
                    if kernel.is_alive():
                        self._top_up()
                        return kernel
                    self._retire_later(kernel)  # died while waiting in the pool
                if self._starting == 0:
                    if self._errors:
                        raise self._errors.pop()
                    self._spawn()
                self._top_up()
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise KernelStartError(
                        f"No {self.kernel_name!r} kernel was ready within {timeout:g} s.",
                        kernel_name=self.kernel_name,
                    )
                self._cond.wait(left)

    @property
    def ready(self) -> int:
        """Kernels started and waiting for a step."""
        with self._cond:
            return len(self._ready)

    @property
    def starting(self) -> int:
        with self._cond:
            return self._starting

    # -- background ------------------------------------------------------------
    def _top_up(self) -> None:
        # Called with the lock held.
        while not self._closed and len(self._ready) + self._starting < min(self._wanted, self.size):
            self._spawn()

    def _spawn(self) -> None:
        # Called with the lock held.
        self._starting += 1
        self.started += 1
        thread = threading.Thread(target=self._run_start, name="mlops-kernel-start", daemon=True)
        self._threads.add(thread)
        thread.start()

    def _run_start(self) -> None:
        kernel: PooledKernel | None = None
        error: BaseException | None = None
        try:
            kernel = self._start(self.kernel_name)
        except BaseException as exc:  # noqa: BLE001 - handed to the step that waits for it
            error = exc
        with self._cond:
            self._starting -= 1
            self._threads.discard(threading.current_thread())
            if kernel is not None:
                kernel._retire = self._retire_later
                if self._closed:
                    self._retire_later(kernel)
                else:
                    self._ready.append(kernel)
            elif error is not None:
                self._errors.append(error)
            self._cond.notify_all()

    def _retire_later(self, kernel: PooledKernel) -> None:
        kernel._retired = True
        thread = threading.Thread(
            target=self._run_shutdown, args=(kernel,), name="mlops-kernel-stop", daemon=True
        )
        with self._cond:
            self._threads.add(thread)
        thread.start()

    def _run_shutdown(self, kernel: PooledKernel) -> None:
        try:
            shutdown(kernel)
        finally:
            with self._cond:
                self._threads.discard(threading.current_thread())
                self._cond.notify_all()

    def close(self, timeout: float = 30.0) -> None:
        """Shut down the kernels not handed out and wait for background starts and stops."""
        with self._cond:
            self._closed = True
            idle = list(self._ready)
            self._ready.clear()
        for kernel in idle:
            self._retire_later(kernel)
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._threads and time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - time.monotonic()))
        # The fork server is the process's (forkserver.shared): it stays for the next run.

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
