"""A run's environment snapshot (packages, platform, git state), stored into the run.

A snapshot taken moments ago is reused as the run is created; otherwise one is taken in a
background thread, since git and package metadata cost tens of milliseconds that a tracked
cell should not wait for.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import threading
from pathlib import Path
from typing import Any

from jupyter_mlops.store import Store
from jupyter_mlops.store import runs as q
from jupyter_mlops.tracking.artifacts import artifact_row, record_artifact
from jupyter_mlops.tracking.environment import Environment, capture_environment

_pending: list[threading.Thread] = []


@atexit.register
def join_environment_threads(timeout: float = 10.0) -> None:
    """Wait for background environment snapshots (before a process or kernel goes away)."""
    for thread in list(_pending):
        thread.join(timeout=timeout)


def environment_values(env: Environment) -> dict[str, Any]:
    """The ``runs`` columns holding a snapshot."""
    return {
        "environment": json.dumps(env.info, default=str),
        "git_commit": env.git.commit,
        "git_branch": env.git.branch,
        "git_dirty": env.git.dirty,
    }


def git_diff_row(store: Store, run_id: str, env: Environment) -> dict[str, Any] | None:
    """The ``git.diff`` artifact row of a snapshot with uncommitted changes (diff stored)."""
    if not env.git.diff:
        return None
    info = store.objects.put_bytes(env.git.diff)
    return artifact_row(run_id, "git.diff", info, "git", "text/x-diff")


def store_environment(store: Store, run_id: str, env: Environment) -> None:
    """Store a snapshot into an existing run."""
    if env.git.diff:
        info = store.objects.put_bytes(env.git.diff)
        record_artifact(store, run_id, "git.diff", info, "git", "text/x-diff")
    with store.write() as conn:
        q.set_environment(conn, run_id, environment_values(env))


def snapshot_in_background(store: Store, run_id: str, root: Path, label: str) -> threading.Thread:
    """Take a snapshot of ``root`` and store it into the run, in a thread of its own."""

    def take() -> None:
        # A broken git or package metadata must not break the run.
        with contextlib.suppress(Exception):
            store_environment(store, run_id, capture_environment(root))

    thread = threading.Thread(target=take, name=f"mlops-env-{label}", daemon=True)
    thread.start()
    _pending[:] = [th for th in _pending if th.is_alive()]
    _pending.append(thread)
    return thread
