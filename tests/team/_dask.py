"""A real ``dask.distributed`` cluster for tests: scheduler and worker as separate processes.

``dask scheduler`` and ``dask worker`` (one worker process with one thread, under its nanny,
which restarts it when it dies) listen on 127.0.0.1. The scheduler lets a task fail at once
when its worker dies (``allowed-failures: 0``), so the pipeline spec's ``retries`` decides what
happens next. Workers get AWS credentials from their own environment, never from the steps,
and no ``MLOPS_*`` settings: whatever a step needs must travel with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.team._s3 import CREDENTIALS, free_port

DASK = str(Path(sys.executable).with_name("dask"))


class DaskCluster:
    """A scheduler on ``address`` and one single-threaded worker."""

    def __init__(self) -> None:
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self._procs: list[subprocess.Popen[bytes]] = []

    @property
    def executor(self) -> str:
        """The ``--executor`` value for this cluster."""
        return f"dask://127.0.0.1:{self.port}"

    def start(self, workers: int = 1, timeout: float = 60.0) -> DaskCluster:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLOPS_", "DASK_"))}
        env.update(CREDENTIALS)
        env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = "0"
        common = ["--no-dashboard"]
        self._spawn(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(self.port), *common], env
        )
        worker = [DASK, "worker", self.address, "--nworkers", "1", "--nthreads", "1"]
        for _ in range(workers):
            self._spawn([*worker, "--host", "127.0.0.1", *common], env)
        try:
            self.wait_for_workers(workers, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, argv: list[str], env: dict[str, str]) -> None:
        # Its own process group: the worker's nanny, the worker and any step kernels with it.
        self._procs.append(
            subprocess.Popen(
                argv,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )

    def wait_for_workers(self, n: int, timeout: float = 60.0) -> None:
        from distributed import Client

        deadline = time.monotonic() + timeout
        while True:
            try:
                with Client(self.address, timeout=5) as client:  # type: ignore[no-untyped-call]
                    client.wait_for_workers(n, timeout=max(1.0, deadline - time.monotonic()))
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        """Kill the processes started here (a graceful shutdown takes seconds: no need)."""
        for proc in reversed(self._procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        for proc in self._procs:
            proc.wait(timeout=10)
        self._procs.clear()


@contextmanager
def dask_cluster() -> Iterator[DaskCluster]:
    cluster = DaskCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()
