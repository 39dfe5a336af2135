"""A real S3-compatible server for tests: moto's standalone server as a subprocess.

It listens on 127.0.0.1 on a free port and keeps objects in its own process (so memory
measured in the test process is ours alone). Tests talk to it through s3fs like to any S3
endpoint, with fake credentials.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

#: Fake credentials: moto accepts any, botocore needs some.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
BUCKET = "mlops-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MotoServer:
    """``python -m moto.server`` on 127.0.0.1; ``stop()`` makes the endpoint unreachable."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> MotoServer:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"moto server exited with {self._proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2):
                    return self
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"moto server did not answer on {self.endpoint}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=10)
        self._proc = None

    def filesystem(self) -> Any:
        """A fresh s3fs filesystem on this server (no instance cache), for test set-up."""
        import s3fs

        return s3fs.S3FileSystem(
            endpoint_url=self.endpoint,
            key=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            secret=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            token=CREDENTIALS["AWS_SESSION_TOKEN"],
            skip_instance_cache=True,
            use_listings_cache=False,
        )

    def make_bucket(self, name: str = BUCKET) -> str:
        fs = self.filesystem()
        if not fs.exists(name):
            fs.mkdir(name)
        return name


@contextmanager
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer().start()
    try:
        server.make_bucket()
        yield server
    finally:
        server.stop()


def use_s3(monkeypatch: pytest.MonkeyPatch, server: MotoServer, prefix: str | None = None) -> str:
    """Point this process's artifact store at a fresh prefix on ``server``; return its URI."""
    from jupyter_mlops.store import reset_current_store

    uri = f"s3://{BUCKET}/{prefix or uuid.uuid4().hex}"
    for key, value in {**CREDENTIALS, **s3_env(server, uri)}.items():
        monkeypatch.setenv(key, value)
    reset_current_store()
    return uri


def s3_env(server: MotoServer, uri: str) -> dict[str, str]:
    """What a process needs to use the artifact store ``uri`` on ``server``."""
    return {**CREDENTIALS, "MLOPS_ARTIFACTS_URI": uri, "MLOPS_S3_ENDPOINT_URL": server.endpoint}


def isolated_environ() -> dict[str, str]:
    """os.environ without MLOPS_* settings (a child process starts from these)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
