"""The kernel fork server: kernels forked from a process that imported their code once.

A kernel start costs about a second of CPU, mostly imports (ipykernel, IPython, debugpy, and
for tracked steps jupyter_mlops with SQLAlchemy). The fork server imports all that once and
forks a kernel per request, so a pooled kernel is ready in about a tenth of that. Each kernel is
still a fresh process that never ran a step; it has no debugger (see :data:`NO_DEBUGGER`).
jupyter_client still launches and watches a process: a tiny relay (``python -S``, stdlib only)
that asks the server for a kernel, forwards signals to it (SIGINT interrupts the kernel), and
exits as the kernel does (killed by the same signal). Killing the relay kills the kernel; the
server exits with the process that started it.
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
from typing import TYPE_CHECKING, Any

from jupyter_mlops.pipelines.kernels import WARMUP, KernelStartError, neutral_env

if TYPE_CHECKING:
    from jupyter_client.manager import KernelManager

#: What a kernel imports while it starts (found with ``sys.modules`` before and after
#: ``IPKernelApp.initialize``): imported in the server, so a forked kernel imports nothing.
PRELOAD = (
    "ipykernel.ipkernel",
    "ipykernel.kernelapp",
    "ipykernel.debugger",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.extensions.storemagic",
    "psutil",
    "sqlite3",
    "tornado.queues",
)

#: Step kernels run without ipykernel's debugger: no frontend can attach one to a headless
#: step, and debugpy is the biggest import of a kernel (0.1-0.2 s before the first step can
#: start). The server blocks its import; a forked kernel unblocks it, so a step can still
#: ``import debugpy`` itself.
NO_DEBUGGER = "debugpy"

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
    import gc
    import importlib
    import json
    import socket

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
    while True:
        conn, _ = listener.accept()
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
            code = f"from jupyter_mlops.pipelines.forkserver import _serve; _serve({self.path!r})"
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
