"""What a run ran on: Python, platform, package versions, git state, notebook, user, host."""

from __future__ import annotations

import functools
import getpass
import importlib.metadata as md
import os
import platform
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GIT_TIMEOUT_S = 5.0
MAX_DIFF_BYTES = 5 * 1024 * 1024


@dataclass
class GitState:
    """Commit, branch and uncommitted changes of the repository holding a folder."""

    commit: str | None = None
    branch: str | None = None
    dirty: bool | None = None
    diff: bytes = b""
    root: str | None = None


@dataclass
class Environment:
    """The environment snapshot stored with a run."""

    info: dict[str, Any] = field(default_factory=dict)
    git: GitState = field(default_factory=GitState)


@functools.lru_cache(maxsize=1)
def _module_to_distributions() -> dict[str, list[str]]:
    # Expensive (reads every installed distribution's metadata): once per process.
    return dict(md.packages_distributions())


@functools.lru_cache(maxsize=4096)
def _dist_version(name: str) -> str | None:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def imported_packages() -> dict[str, str]:
    """Versions of the distributions whose top-level modules are imported now."""
    mapping = _module_to_distributions()
    tops = {name.partition(".")[0] for name in list(sys.modules)}
    versions: dict[str, str] = {}
    for top in tops:
        for dist in mapping.get(top, ()):
            version = _dist_version(dist)
            if version:
                versions[dist] = version
    return dict(sorted(versions.items(), key=lambda kv: kv[0].lower()))


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes] | None:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def git_state(folder: Path) -> GitState:
    """Read commit, branch and the dirty diff (capped at 5 MB) of ``folder``'s repository."""
    top = _git(["rev-parse", "--show-toplevel"], folder)
    if top is None or top.returncode != 0:
        return GitState()
    state = GitState(root=top.stdout.decode().strip())
    head = _git(["rev-parse", "HEAD"], folder)
    if head is not None and head.returncode == 0:
        state.commit = head.stdout.decode().strip()
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], folder)
    if branch is not None and branch.returncode == 0:
        state.branch = branch.stdout.decode().strip()
    status = _git(["status", "--porcelain", "--untracked-files=no"], folder)
    if status is not None and status.returncode == 0:
        state.dirty = bool(status.stdout.strip())
    if state.dirty and state.commit:
        diff = _git(["diff", "HEAD"], folder)
        if diff is not None and diff.returncode == 0:
            state.diff = diff.stdout[:MAX_DIFF_BYTES]
    return state


def notebook_path(user_ns: dict[str, Any] | None = None) -> str | None:
    """The notebook being run, when the kernel knows it (JupyterLab, VS Code, our runner)."""
    explicit = os.environ.get("MLOPS_NOTEBOOK")
    if explicit:
        return explicit
    ns = user_ns or {}
    for key in ("__session__", "__vsc_ipynb_file__"):
        value = ns.get(key)
        if isinstance(value, str) and value.endswith(".ipynb"):
            return value
    session = os.environ.get("JPY_SESSION_NAME")
    if session and session.endswith(".ipynb"):
        return session
    return None


def user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


def capture_environment(folder: Path) -> Environment:
    """Snapshot the environment; runs git, so call it off the critical path."""
    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "host": socket.gethostname(),
        "executable": sys.executable,
        "cwd": os.getcwd(),
        "packages": imported_packages(),
    }
    return Environment(info=info, git=git_state(folder))
