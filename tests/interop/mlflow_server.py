"""``jupyter-mlops server`` in a subprocess over a fresh project, for MLflow's own client."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """A running server: its URL, token, project folder, process and log."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"server did not stop:\n{self.log.read_text()[-3000:]}") from None
        return self.log.read_text()


def start_server(
    root: Path, *extra: str, token: str | None = None, settings: dict[str, str] | None = None
) -> Served:
    """Start ``jupyter-mlops server`` with its project at ``root`` (``settings``: its
    ``MLOPS_*`` variables) and wait until it answers."""
    (root / ".mlops").mkdir(parents=True, exist_ok=True)
    token = token or secrets.token_hex(16)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLOPS_", "MLFLOW_"))}
    env.update(settings or {})
    env["MLOPS_SERVER_TOKEN"] = token
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    log = root / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyter_mlops.cli", "server", "--port", str(port), *extra],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    served = Served(url, token, root, process, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            requests.get(f"{url}/api/2.0/mlflow/experiments/search", timeout=5)
            return served
        except requests.ConnectionError:
            time.sleep(0.2)
    served.stop()
    raise RuntimeError(f"server did not answer:\n{log.read_text()[-3000:]}")
