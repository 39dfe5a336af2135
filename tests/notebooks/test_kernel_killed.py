"""A kernel killed in the middle of a tracked cell leaves its run ``killed``, not ``running``."""

from __future__ import annotations

import os
import signal
import time

from jupyter_client.manager import KernelManager

import jupyter_mlops as mlops
from jupyter_mlops.errors import NotFoundError


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def run_status(ref: str) -> str | None:
    try:
        return mlops.get_run(ref).status
    except NotFoundError:
        return None


def test_sigkilled_kernel_marks_the_run_killed(store_dir) -> None:
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(store_dir))
    try:
        client = km.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive("%load_ext jupyter_mlops", timeout=60)
        assert reply["content"]["status"] == "ok"
        client.execute("%%mlops track sleeper\nimport time\ntime.sleep(60)")
        assert wait_for(lambda: run_status("sleeper"), what="the run to start") == "running"
        pid = km.provisioner.pid
        assert mlops.get_run("sleeper").pid == pid
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not km.is_alive(), timeout=30, what="the kernel to die")
        client.stop_channels()
    finally:
        km.shutdown_kernel(now=True)
    # The next reader notices the dead pid on this host (reads re-check every 2 s at most).
    wait_for(lambda: run_status("sleeper") == "killed", timeout=10, what="status killed")
    run = mlops.get_run("sleeper")
    assert run.end_time is not None
    assert "killed kernel" in run.error
