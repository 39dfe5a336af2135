"""A run whose process is gone reads as killed at once, even while its parent has not reaped it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import jupyter_mlops as mlops

CHILD = textwrap.dedent(
    """
    import os, sys
    import jupyter_mlops as mlops
    run = mlops.start_run("crashed", experiment="reap")
    print(run.id, flush=True)
    sys.stdin.readline()
    os._exit(3)  # no atexit handlers: as a crash or a SIGKILL would leave it
    """
)


def _zombie(pid: int) -> bool:
    text = Path(f"/proc/{pid}/stat").read_bytes()
    return text[text.rfind(b")") + 2 :].split()[0] == b"Z"


def test_an_unreaped_dead_process_leaves_a_killed_run_not_a_running_one(store_dir: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdin is not None and child.stdout is not None
        run_id = child.stdout.readline().strip()
        assert mlops.get_run(run_id).status == "running"
        child.stdin.write("\n")
        child.stdin.flush()
        deadline = time.monotonic() + 30
        while not _zombie(child.pid):  # exited, and this test (its parent) has not waited
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(2.1)  # past the reaper's throttle, well inside the 60 s heartbeat window

        record = mlops.get_run(run_id)

        assert record.status == "killed"
        assert "stopped without ending it" in (record.error or "")
        child.wait()
    assert child.returncode == 3
