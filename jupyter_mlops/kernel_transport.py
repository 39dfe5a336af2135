"""How this package reaches the kernels it starts: Unix sockets in a folder only this user
can open, never TCP ports."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import uuid
from typing import Any

from jupyter_client.manager import AsyncKernelManager

_ipc_dir: str | None = None
_ipc_lock = threading.Lock()


def ipc_transport() -> dict[str, str]:
    """A kernel manager's ``transport`` and ``ip`` for a new kernel.

    Over TCP a kernel listens on localhost ports any local user can connect to (ipykernel
    warns about it on every start, into the caller's output); IPC sockets live in a 0700
    folder of this process. Windows has no IPC transport: TCP there.
    """
    global _ipc_dir
    if os.name == "nt":
        return {}
    with _ipc_lock:
        if _ipc_dir is None or not os.path.isdir(_ipc_dir):
            _ipc_dir = tempfile.mkdtemp(prefix="mlops-ipc-")
            atexit.register(shutil.rmtree, _ipc_dir, ignore_errors=True)
        # An absolute path: the kernel may run in another folder than its client.
        return {"transport": "ipc", "ip": os.path.join(_ipc_dir, uuid.uuid4().hex[:12])}


class IpcKernelManager(AsyncKernelManager):
    """A kernel manager for papermill and nbclient (``kernel_manager_class=``) whose kernel
    is reached over IPC (:func:`ipc_transport`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{**ipc_transport(), **kwargs})
