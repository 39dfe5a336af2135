"""Kernels started ahead of need: every step gets a fresh kernel, none waits for one to start.

A kernel takes about a second to start while a trivial step runs in tens of milliseconds, so
:class:`KernelPool` starts kernels in background threads before they are asked for. A kernel is
never reused: :meth:`KernelPool.acquire` hands one out, the step runs in it, and
:meth:`PooledKernel.retire` shuts it down (in the background when it came from a pool).

Pooled kernels start with a neutral environment (the step variables ``MLOPS_RUN_ID``,
``MLOPS_PIPELINE_RUN``, ``MLOPS_STEP`` and ``MLOPS_NOTEBOOK`` removed) in the pool's working
folder; the step's own environment and folder are applied by a hidden bootstrap before the
notebook runs (see :mod:`jupyter_mlops.pipelines.execute`). A pooled kernel also imports the
attach code while it waits (``warmup``), so the bootstrap costs a few milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager
from jupyter_core.utils import ensure_event_loop

from jupyter_mlops.errors import MlopsError

#: Variables that differ per step: never inherited by a pooled kernel.
STEP_ENV_KEYS = ("MLOPS_RUN_ID", "MLOPS_PIPELINE_RUN", "MLOPS_STEP", "MLOPS_NOTEBOOK")
#: Run in a pooled kernel once it is up: imports only, so the step's bootstrap is cheap.
WARMUP = (
    "import jupyter_mlops.pipelines.attach, jupyter_mlops.magics._magics\n"
    "__import__('jupyter_mlops.tracking.capture', fromlist=['_']).names()"
)
ASYNC_CLIENT = "jupyter_client.asynchronous.AsyncKernelClient"
#: As nbclient does: a kernel's input history stays in memory (no shared SQLite file).
HISTORY_IN_MEMORY = "--HistoryManager.hist_file=:memory:"


class KernelStartError(MlopsError):
    """A kernel did not start (bad kernel name, crash at start-up, time-out)."""


def in_thread_loop(func: Callable[[], Any]) -> Any:
    """Call ``func`` and close the event loop jupyter_client made for this thread.

    jupyter_client's blocking calls run on a loop kept per thread; a thread that ends with it
    open leaves an unclosed loop behind (a ResourceWarning at collection).
    """
    try:
        return func()
    finally:
        ensure_event_loop().close()


def neutral_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a pooled kernel: this process's, without the step variables."""
    env = dict(os.environ if environ is None else environ)
    for key in STEP_ENV_KEYS:
        env.pop(key, None)
    return env


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
        km = KernelManager(kernel_name=kernel_name, client_class=ASYNC_CLIENT)
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
    from queue import Empty

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

# -- fork server ---------------------------------------------------------------------------
# A kernel start costs about a second of CPU, mostly imports (ipykernel, IPython, and for
# tracked steps jupyter_mlops with SQLAlchemy). The fork server imports all that once and
# forks a kernel per request. jupyter_client still launches and watches a process: a tiny
# relay (python -S, stdlib only) that asks the server for a kernel, forwards signals to it
# (SIGINT interrupts the kernel), and exits as the kernel does (killed by the same signal).
# Killing the relay kills the kernel; the server exits with the process that started it.

_RELAY = """\
import json, os, signal, socket, sys
path, argv = sys.argv[1], sys.argv[2:]
sock = socket.socket(socket.AF_UNIX)
sock.connect(path)
request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "relay": os.getpid()}
sock.sendall(json.dumps(request).encode() + b"\\n")
reader = sock.makefile("rb")
pid = int(reader.readline())
def forward(signum, frame):
    try:
        os.kill(pid, signum)
    except OSError:
        pass
for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
    signal.signal(signum, forward)
code = int(reader.readline() or b"1")
if code < 0:
    try:
        signal.signal(-code, signal.SIG_DFL)
    except (OSError, ValueError):
        pass
    os.kill(os.getpid(), -code)
sys.exit(code)
"""


def _serve(path: str) -> None:
    """The fork server's main: import the kernel's code once, fork a kernel per request."""
    import json
    import socket

    import ipykernel.ipkernel  # imported once, shared by every fork
    import ipykernel.kernelapp

    exec(WARMUP, {})  # noqa: S102 - our own constant: jupyter_mlops imports
    parent = os.getppid()
    children: dict[int, socket.socket] = {}
    exited: dict[int, int] = {}
    lock = threading.Lock()

    def reap() -> None:
        while True:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                time.sleep(0.05)
                continue
            code = os.waitstatus_to_exitcode(status)
            with lock:
                conn = children.pop(pid, None)
                if conn is None:
                    exited[pid] = code
            if conn is not None:
                _tell(conn, code)

    def watch(pid: int, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            conn.recv(1)  # returns when the relay is gone
        with lock:
            alive = pid in children
        if alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def orphaned() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    for target in (reap, orphaned):
        threading.Thread(target=target, daemon=True).start()
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path + ".tmp")
    listener.listen(64)
    os.rename(path + ".tmp", path)  # the path appears once connections are accepted
    while True:
        conn, _ = listener.accept()
        request = json.loads(conn.makefile("rb").readline())
        pid = os.fork()
        if pid == 0:
            for sock in (listener, conn, *children.values()):
                sock.close()  # the kernel holds no other kernel's connection
            _kernel_child(request, ipykernel.kernelapp)
        with lock:
            code = exited.pop(pid, None)
            if code is None:
                children[pid] = conn
        conn.sendall(f"{pid}\n".encode())
        if code is not None:
            _tell(conn, code)
        else:
            threading.Thread(target=watch, args=(pid, conn), daemon=True).start()


def _tell(conn: Any, code: int) -> None:
    with contextlib.suppress(OSError):
        conn.sendall(f"{code}\n".encode())
        conn.close()


def _exit_with(pid: int) -> None:
    """In a forked kernel: exit when its relay is gone (whoever reaped the server)."""
    while True:
        time.sleep(0.5)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            pass


def _kernel_child(request: dict[str, Any], kernelapp: Any) -> None:
    """In the forked child: become the kernel the relay asked for; never returns."""
    code = 1
    try:
        os.setsid()
        relay = int(request["relay"])
        threading.Thread(target=_exit_with, args=(relay,), daemon=True).start()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        argv = list(request["argv"])
        # Read at import, in the server: give the kernel its own launcher's parent.
        parent = os.environ.get("JPY_PARENT_PID")
        if parent:
            argv.append(f"--IPKernelApp.parent_handle={int(parent)}")
        sys.argv = ["ipykernel_launcher", *argv]
        kernelapp.launch_new_instance(argv=argv)
        code = 0
    finally:
        os._exit(code)


class ForkServer:
    """A process that imported ipykernel and jupyter_mlops once and forks kernels on request.

    Started lazily (by :meth:`ensure`), in the background of a :class:`KernelPool`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: str | None = None
        self.path = ""

    def ensure(self, timeout: float = 60.0) -> None:
        """Start the server and wait until it is ready (once).

        Raises:
            KernelStartError: It did not start.
        """
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                return
            self._dir = tempfile.mkdtemp(prefix="mlops-fork-")
            self.path = os.path.join(self._dir, "server")
            code = f"from jupyter_mlops.pipelines.kernels import _serve; _serve({self.path!r})"
            proc = subprocess.Popen(
                [sys.executable, "-c", code],
                stdin=subprocess.DEVNULL,
                env=neutral_env(),
                cwd=self._dir,
                start_new_session=True,
            )
            deadline = time.monotonic() + timeout
            while not os.path.exists(self.path):
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    proc.wait()
                    raise KernelStartError("The kernel fork server did not start.", kernel_name="")
                time.sleep(0.01)
            self._proc = proc

    def adopt(self, km: KernelManager) -> bool:
        """Make ``km`` start its kernel through this server, when its kernelspec allows it."""
        from jupyter_client.kernelspec import KernelSpec

        spec = km.kernel_spec
        if spec is None or "ipykernel_launcher" not in spec.argv:
            return False
        if not _is_this_python(spec.argv[0]):
            return False
        self.ensure()
        relay = [sys.executable, "-S", "-c", _RELAY, self.path, "-f", "{connection_file}"]
        km._kernel_spec = KernelSpec(
            argv=relay,
            display_name=spec.display_name,
            language=spec.language,
            env=dict(spec.env or {}),
            metadata=dict(spec.metadata or {}),
            interrupt_mode="signal",
        )
        return True

    def close(self) -> None:
        """Stop the server (kernels it forked keep running until their relays stop)."""
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is not None:
                proc.kill()
                proc.wait()
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir = None


def _is_this_python(python: str) -> bool:
    """Whether a kernelspec's interpreter is ours (``python``, ``.venv/bin/python3``, …)."""
    if python in ("python", "python3"):
        return True
    try:
        return os.path.samefile(python, sys.executable)
    except OSError:
        return False


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
        fork: Fork kernels from a :class:`ForkServer` (ipykernel kernelspecs of this Python);
            each is still a fresh process that never ran a step.
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
        self.fork_server = ForkServer() if fork and starter is None else None
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
        if self.fork_server is not None:
            self.fork_server.close()

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
