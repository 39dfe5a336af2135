"""What a run ran on: Python, platform, package versions, git state, notebook, user, host."""

from __future__ import annotations

import importlib.machinery
import importlib.metadata as md
import os
import platform
import re
import socket
import subprocess
import sys
import threading
import time
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


_DIST_SUFFIXES = (".dist-info", ".egg-info")
_MODULE_SUFFIXES = tuple(sorted(importlib.machinery.all_suffixes(), key=len, reverse=True))
_NOT_MODULES = frozenset({"", "..", "__pycache__"})
_scan_lock = threading.Lock()
_scan: tuple[tuple[tuple[str, int], ...], dict[str, dict[str, str]]] | None = None


def canonical_name(name: str) -> str:
    """The PEP 503 form of a distribution name: ``PyYAML`` -> ``pyyaml``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _module_name(file_name: str) -> str:
    for suffix in _MODULE_SUFFIXES:
        if file_name.endswith(suffix):
            return file_name[: -len(suffix)]
    return ""


def _top_level_names(folder: str) -> set[str]:
    # top_level.txt when the installer wrote one, else the first segment of every
    # RECORD path: what packages_distributions() does, without parsing metadata.
    try:
        with open(os.path.join(folder, "top_level.txt"), encoding="utf-8") as fh:
            return set(fh.read().split())
    except OSError:
        pass
    tops: set[str] = set()
    try:
        with open(os.path.join(folder, "RECORD"), encoding="utf-8") as fh:
            for line in fh:
                first, nested, _ = line.partition(",")[0].partition("/")
                if not nested:
                    first = _module_name(first)
                if first in _NOT_MODULES or first.endswith((".dist-info", ".data", ".pth")):
                    continue
                tops.add(first)
    except OSError:
        pass
    return tops


def _dist_version(folder: str, name: str, version: str) -> str | None:
    if version and folder.endswith(".dist-info"):
        return version  # wheel spec: {name}-{version}.dist-info
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def _scan_distributions(entries: list[str]) -> dict[str, dict[str, str]]:
    mapping: dict[str, dict[str, str]] = {}
    seen: set[str] = set()
    for entry in entries:
        try:
            listing = sorted(e.name for e in os.scandir(entry) if e.name.endswith(_DIST_SUFFIXES))
        except OSError:
            continue
        for folder_name in listing:
            raw_name, _, rest = folder_name.rpartition(".")[0].partition("-")
            name = canonical_name(raw_name)
            if name in seen:  # an earlier sys.path entry shadows this one
                continue
            seen.add(name)
            folder = os.path.join(entry, folder_name)
            version = _dist_version(folder, raw_name, rest.partition("-")[0])
            if version is None:
                continue
            for top in _top_level_names(folder):
                mapping.setdefault(top, {})[name] = version
            # Editable installs (a .pth file) list no modules: also match a module by name.
            mapping.setdefault(name.replace("-", "_"), {}).setdefault(name, version)
    return mapping


def _mtime_ns(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _module_to_distributions() -> dict[str, dict[str, str]]:
    """Top-level module -> {distribution: version}, rescanned when sys.path changes."""
    global _scan
    entries = [p or "." for p in sys.path]
    key = tuple((entry, _mtime_ns(entry)) for entry in entries)
    with _scan_lock:
        if _scan is None or _scan[0] != key:
            # A directory's mtime changes when a distribution is installed or removed in it.
            _scan = (key, _scan_distributions(entries))
        return _scan[1]


def imported_packages() -> dict[str, str]:
    """Versions of the distributions whose top-level modules are imported now."""
    mapping = _module_to_distributions()
    versions: dict[str, str] = {}
    for top in {name.partition(".")[0] for name in list(sys.modules)}:
        versions.update(mapping.get(top, {}))
    return dict(sorted(versions.items()))


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
    # One git process for root, commit and branch: each costs milliseconds. It fails
    # outside a repository and in one without commits; tell the two apart then.
    head = _git(["rev-parse", "--show-toplevel", "HEAD", "--abbrev-ref", "HEAD"], folder)
    lines = head.stdout.decode(errors="replace").splitlines() if head is not None else []
    if head is not None and head.returncode == 0 and len(lines) == 3:
        state = GitState(root=lines[0], commit=lines[1], branch=lines[2])
    else:
        top = _git(["rev-parse", "--show-toplevel"], folder)
        if top is None or top.returncode != 0:
            return GitState()
        state = GitState(root=top.stdout.decode(errors="replace").strip())
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
    ns = user_ns if user_ns is not None else _kernel_namespace()
    for key in ("__session__", "__vsc_ipynb_file__"):
        value = ns.get(key)
        if isinstance(value, str) and value.endswith(".ipynb"):
            return value
    session = os.environ.get("JPY_SESSION_NAME")
    if session and session.endswith(".ipynb"):
        return session
    injected = ns.get("PAPERMILL_INPUT_PATH")  # papermill --inject-paths
    if isinstance(injected, str) and injected.endswith(".ipynb"):
        return os.path.abspath(injected)
    return launcher_notebook()


#: The tag naming the executed notebook papermill writes for a run (its absolute path).
EXECUTED_NOTEBOOK_TAG = "mlops.executed_notebook"


def executed_notebook(user_ns: dict[str, Any] | None = None) -> str | None:
    """The executed notebook papermill is writing for this kernel, when the kernel can know it.

    papermill's Python API tells the kernel nothing of its output path; it reaches the kernel
    only as the ``PAPERMILL_OUTPUT_PATH`` parameter (``papermill --inject-output-path`` or
    ``--inject-paths``, or ``parameters={"PAPERMILL_OUTPUT_PATH": path}`` given to
    ``papermill.execute_notebook``), or as the OUTPUT argument of a ``papermill INPUT OUTPUT``
    command that started the kernel. A relative path is taken from the kernel's working
    folder; a remote one (``s3://``) or ``-`` (stdout) is not a file to link.
    """
    ns = user_ns if user_ns is not None else _kernel_namespace()
    injected = ns.get("PAPERMILL_OUTPUT_PATH")
    if isinstance(injected, str) and injected.endswith(".ipynb") and "://" not in injected:
        return os.path.abspath(injected)
    return _launched()[1]


def _kernel_namespace() -> dict[str, Any]:
    """The user namespace of the IPython kernel this runs in (empty outside one)."""
    ipython = sys.modules.get("IPython")  # never imported here: a script has no kernel
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    ns = getattr(shell, "user_ns", None)
    return ns if isinstance(ns, dict) else {}


_launcher: list[tuple[str | None, str | None]] = []


def launcher_notebook() -> str | None:
    """The notebook a headless runner was started on, read from its command line.

    ``papermill in.ipynb out.ipynb``, ``jupyter nbconvert --execute nb.ipynb`` and
    ``jupyter execute nb.ipynb`` start the kernel as their child: the first existing
    ``.ipynb`` among the parent's arguments (relative to its working folder) is the notebook.
    Linux only (``/proc``); cached for the kernel's life.
    """
    return _launched()[0]


def _launched() -> tuple[str | None, str | None]:
    """The parent runner's (input notebook, papermill's output notebook), cached."""
    if not _launcher:
        _launcher.append(_read_launcher(os.getppid()))
    return _launcher[0]


def _read_launcher(pid: int) -> tuple[str | None, str | None]:
    proc = Path(f"/proc/{pid}")
    try:
        args = (proc / "cmdline").read_bytes().split(b"\0")
        cwd = os.readlink(proc / "cwd")
    except OSError:  # not Linux, or the parent is gone
        return None, None
    runner = papermill = False
    found: str | None = None
    for raw in args:
        arg = os.fsdecode(raw)
        name = os.path.basename(arg)
        # Only headless runners: `jupyter lab nb.ipynb` serves many notebooks, not that one.
        if not runner:
            papermill = "papermill" in name
            runner = papermill or name in _RUNNERS or "nbclient" in name
        if not runner or not arg.endswith(".ipynb") or arg.startswith("-"):
            continue
        path = os.path.normpath(os.path.join(cwd, arg))
        if found is None:
            if os.path.isfile(path):
                found = path
        elif papermill:  # `papermill INPUT OUTPUT`: the next notebook is where it writes
            return found, path
    return found, None


_RUNNERS = frozenset({"jupyter-nbconvert", "jupyter-execute", "nbconvert", "execute"})


# Back-to-back runs (a tracked cell re-run, a sweep in a loop) reuse the last snapshot
# while nothing it depends on changed: the same folders, no new imports, the same git
# HEAD and index. Uncommitted edits leave no such trace, so a reused snapshot is also
# at most ENV_TTL_S old.
ENV_TTL_S = 5.0
_env_cache: tuple[tuple[Any, ...], float, Environment] | None = None
_env_lock = threading.Lock()


def _env_key(folder: Path, git_root: str | None) -> tuple[Any, ...]:
    marks: tuple[int, ...] = ()
    if git_root:
        git_dir = os.path.join(git_root, ".git")
        marks = tuple(_mtime_ns(os.path.join(git_dir, name)) for name in ("HEAD", "index"))
    return (str(folder), os.getcwd(), len(sys.modules), git_root, marks)


def cached_environment(folder: Path) -> Environment | None:
    """The last snapshot, if still valid for ``folder``; else None."""
    with _env_lock:
        cache = _env_cache
    if cache is None:
        return None
    key, taken, env = cache
    if time.monotonic() - taken > ENV_TTL_S or _env_key(folder, env.git.root) != key:
        return None
    return env


def capture_environment(folder: Path) -> Environment:
    """Snapshot the environment; runs git, so call it off the critical path."""
    global _env_cache
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
    env = Environment(info=info, git=git_state(folder))
    with _env_lock:
        _env_cache = (_env_key(folder, env.git.root), time.monotonic(), env)
    return env
