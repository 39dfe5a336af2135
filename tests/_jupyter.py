"""A real ``jupyter server`` in a subprocess (random port and token) over a project folder.

Shared by the REST tests (``tests/server``) and the parity tests (``tests/parity``). The
server runs the jupyter_mlops extension from this checkout; ``stop()`` ends it and checks
its log holds no traceback.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

API = "mlops/api/v1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Jupyter:
    """A running server: its URL and token, the process and its log."""

    url: str
    token: str
    process: subprocess.Popen[bytes]
    log: Path

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        return requests.get(f"{self.url}{API}/{path}", headers=self.headers(), **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return requests.post(
            f"{self.url}{API}/{path}", json=body, headers=self.headers(), timeout=300, **kwargs
        )

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        return requests.delete(f"{self.url}{API}/{path}", headers=self.headers(), **kwargs)

    def wait_ready(self) -> None:
        """Wait until the API answers (the server exited or 90 s passed: fail with its log)."""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter server exited:\n{self.log.read_text()[-3000:]}")
            try:
                if self.get("status", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"jupyter server did not answer:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> str:
        """Stop the server; return its log (after checking it stopped in time)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            tail = self.log.read_text()[-3000:]
            raise AssertionError(f"jupyter server did not stop:\n{tail}") from None
        return self.log.read_text()


def start_jupyter(root: Path, base: Path, settings: dict[str, str], *extra: str) -> Jupyter:
    """Start ``jupyter server`` on ``root`` with the extension, ``settings`` as ``MLOPS_*``.

    ``base`` holds the log and the runtime folder; ``extra`` are more server options.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    env.update(settings)
    token = secrets.token_hex(16)
    port = _free_port()
    log = base / "server.log"
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent))
    assert jupyter, "jupyter is not installed next to the test interpreter"
    env["JUPYTER_RUNTIME_DIR"] = str(base / "runtime")
    repo = str(Path(__file__).parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (repo, env.get("PYTHONPATH")) if p)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                jupyter,
                "server",
                f"--ServerApp.token={token}",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.root_dir={root}",
                "--ServerApp.jpserver_extensions={'jupyter_mlops.server': True}",
                # Jupyter refuses (and reports) any route lacking authentication.
                "--ServerApp.allow_unauthenticated_access=False",
                *extra,
                "--no-browser",
                "--allow-root",
            ],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Jupyter(f"http://127.0.0.1:{port}/", token, process, log)
