"""The kernel fork server: kernels forked from a process that imported their code once.

A kernel start costs about a second of CPU, mostly imports (ipykernel, IPython, debugpy, and
for tracked steps jupyter_mlops with SQLAlchemy). The fork server imports all that once and
forks a kernel per request, so a pooled kernel is ready in about a tenth of that. Each kernel is
still a fresh process that never ran a step; it has no debugger (see :data:`NO_DEBUGGER`).
jupyter_client still launches and watches a process: a tiny relay (``python -S``, stdlib only)
that asks the server for a kernel, forwards signals to it (SIGINT interrupts the kernel), and
exits as the kernel does (killed by the same signal). Killing the relay kills the kernel; the
server exits with the process that started it.

One server serves every pipeline run of a process (:func:`shared`): the second run in a notebook,
the Jupyter server or the scheduler forks kernels at once instead of paying the imports again.
It is started ahead of need (:meth:`ForkServer.start`), exits after :data:`IDLE_EXIT` seconds
without a kernel to serve, and is started again on the next request.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import TYPE_CHECKING, Any

from jupyter_client.kernelspec import KernelSpec

from jupyter_mlops.errors import KernelStartError
from jupyter_mlops.pipelines.kernel_env import WARMUP, neutral_env

if TYPE_CHECKING:
    from jupyter_client.manager import KernelManager

#: What a kernel imports while it starts (found with ``sys.modules`` before and after
#: ``IPKernelApp.initialize``) and what a tracked step's attach then loads (fsspec's local
#: filesystems): imported in the server, so a forked kernel imports nothing.
PRELOAD = (
    "ipykernel.ipkernel",
    "ipykernel.kernelapp",
    "ipykernel.debugger",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.extensions.storemagic",
    "fsspec.implementations.chained",
    "fsspec.implementations.local",
    "psutil",
    "sqlite3",
    "tornado.queues",
)

#: Step kernels run without ipykernel's debugger: no frontend can attach one to a headless
#: step, and debugpy is the biggest import of a kernel (0.1-0.2 s before the first step can
#: start). The server blocks its import; a forked kernel unblocks it, so a step can still
#: ``import debugpy`` itself.
NO_DEBUGGER = "debugpy"

#: Seconds a server with no kernel alive and no request waits before it exits.
IDLE_EXIT = 600.0

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


def _serve(path: str, idle_exit: float = IDLE_EXIT) -> None:
    """The fork server's main: import the kernel's code once, fork a kernel per request."""
    sys.modules[NO_DEBUGGER] = None  # type: ignore[assignment] # ipykernel sees no debugpy
    for module in PRELOAD:  # imported once, shared by every fork
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    exec(WARMUP, {})  # noqa: S102 - our own constant: jupyter_mlops imports
    kernelapp = sys.modules["ipykernel.kernelapp"]
    # Objects that exist now are shared by every fork: keep the collector off them, so a
    # kernel does not copy the server's memory page by page as it collects.
    gc.freeze()
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
    listener.settimeout(idle_exit)
    closing = False
    while True:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            if closing:
                os._exit(0)  # the requests queued before the path went were served
            with lock:
                busy = bool(children)
            if not busy:
                # Idle: new relays can no longer connect; serve those already queued, then exit.
                os.unlink(path)
                closing = True
                listener.settimeout(0.2)
            continue
        conn.settimeout(None)
        request = json.loads(conn.makefile("rb").readline())
        pid = os.fork()
        if pid == 0:
            for sock in (listener, conn, *children.values()):
                sock.close()  # the kernel holds no other kernel's connection
            _kernel_child(request, kernelapp)
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
        if NO_DEBUGGER in sys.modules and sys.modules[NO_DEBUGGER] is None:
            del sys.modules[NO_DEBUGGER]  # the step's own code may import it
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

    :meth:`start` launches it without waiting; :meth:`ensure` (called by :meth:`adopt`) waits
    until it accepts requests, starting it again if it exited (idle, or killed).

    Args:
        idle_exit: Seconds without a request or a live kernel after which the server exits.
    """

    def __init__(self, *, idle_exit: float = IDLE_EXIT) -> None:
        self.idle_exit = idle_exit
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: str | None = None
        self._served = False  # its path appeared: it accepted requests
        self.path = ""
        #: How many times a server process was launched (tests and benchmarks read it).
        self.launches = 0

    def start(self) -> None:
        """Launch the server now, if it is not running, without waiting for it."""
        with self._lock:
            self._launch()

    def _launch(self) -> None:
        # Called with the lock held.
        if self._proc is not None and self._proc.poll() is None:
            if os.path.exists(self.path) or not self._served:
                return  # serving, or still importing
            # It unlinked its path: it is exiting (idle). Let it go; launch another.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=2.0)
        self._cleanup()
        self._dir = tempfile.mkdtemp(prefix="mlops-fork-")
        self.path = os.path.join(self._dir, "server")
        code = (
            "from jupyter_mlops.pipelines.forkserver import _serve; "
            f"_serve({self.path!r}, {float(self.idle_exit)!r})"
        )
        self._proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.DEVNULL,
            env=neutral_env(),
            cwd=self._dir,
            start_new_session=True,
        )
        self._served = False
        self.launches += 1

    def ensure(self, timeout: float = 60.0) -> None:
        """Start the server if needed and wait until it accepts requests.

        Raises:
            KernelStartError: It did not start.
        """
        with self._lock:
            if self._proc is not None and self._proc.poll() is None and os.path.exists(self.path):
                return
            self._launch()
            proc = self._proc
            assert proc is not None
            deadline = time.monotonic() + timeout
            while not os.path.exists(self.path):
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    proc.wait()
                    raise KernelStartError("The kernel fork server did not start.", kernel_name="")
                time.sleep(0.005)
            self._served = True

    def adopt(self, km: KernelManager) -> bool:
        """Make ``km`` start its kernel through this server, when its kernelspec allows it."""
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
            self._cleanup()

    def _cleanup(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


_shared: ForkServer | None = None
_shared_pid = 0
_shared_lock = threading.Lock()


def shared() -> ForkServer:
    """This process's fork server, used by every kernel pool (stopped when the process exits)."""
    global _shared, _shared_pid
    with _shared_lock:
        if _shared is None or _shared_pid != os.getpid():  # a forked child gets its own
            _shared, _shared_pid = ForkServer(), os.getpid()
            atexit.register(_shared.close)
        return _shared


def close_shared() -> None:
    """Stop this process's fork server; the next kernel pool starts a fresh one."""
    global _shared
    with _shared_lock:
        server, _shared = _shared, None
    if server is not None and _shared_pid == os.getpid():
        server.close()
        atexit.unregister(server.close)


def _is_this_python(python: str) -> bool:
    """Whether a kernelspec's interpreter is ours (``python``, ``.venv/bin/python3``, …)."""
    if python in ("python", "python3"):
        return True
    try:
        return os.path.samefile(python, sys.executable)
    except OSError:
        return False
