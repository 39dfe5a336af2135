"""Show where the store is, where each setting came from, versions, and check the setup.

Read-only: a store that does not exist yet is not created. Exits 1 if a check fails.

example:
  jupyter-mlops doctor
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import importlib.util
import os
import posixpath
import shutil
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from jupyter_mlops._version import __version__
from jupyter_mlops.cli._common import Subparsers, add_command, marks, one_line
from jupyter_mlops.config import CONFIG_KEYS, Config, load_config
from jupyter_mlops.errors import MlopsUsageError

# (label, distribution) shown under "versions".
VERSIONS = (
    ("SQLAlchemy", "sqlalchemy"),
    ("alembic", "alembic"),
    ("pandas", "pandas"),
    ("numpy", "numpy"),
    ("pyarrow", "pyarrow"),
    ("blake3", "blake3"),
    ("fsspec", "fsspec"),
    ("scikit-learn", "scikit-learn"),
    ("skops", "skops"),
    ("IPython", "ipython"),
    ("ipykernel", "ipykernel"),
    ("nbclient", "nbclient"),
    ("papermill", "papermill"),
)


@dataclass(frozen=True)
class Check:
    """One line of the checks: what was checked, whether it passed, and why."""

    name: str
    ok: bool
    detail: str


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_command(subparsers, "doctor", __doc__)


def run(args: argparse.Namespace) -> int:
    config = load_config()
    db = _sqlite_path(config)
    # Read the journal mode before any engine connects: connecting switches WAL on.
    wal = _check_wal(db) if db is not None else None
    schema, runs, schema_check = _inspect_store(config, db)
    print("store")
    _row("project root", str(config.root))
    _row("store", _safe_uri(config.store_uri))
    _row("artifacts", config.artifacts_uri)
    _row("schema", schema)
    if runs is not None:
        _row("runs", runs)
    print("\nconfiguration  (env MLOPS_* > pyproject.toml [tool.jupyter-mlops] > default)")
    for key in CONFIG_KEYS:
        value = getattr(config, key)
        shown = _safe_uri(value) if key == "store_uri" else str(value)
        _row(key, f"{shown}  [{config.sources.get(key, 'default')}]")
    print("\nversions")
    _row("jupyter_mlops", __version__)
    _row("Python", f"{sys.version.split()[0]} ({sys.executable})")
    for label, dist in VERSIONS:
        _row(label, _version(dist) or "not installed")
    checks = [
        _check_store_writable(config, db),
        _check_artifacts_writable(config),
        schema_check,
        *([wal] if wal is not None else []),
        _check_git(config.root),
        _check_ipykernel(),
    ]
    ok, bad = marks()
    print("\nchecks")
    for check in checks:
        print(f"  {ok if check.ok else bad} {check.name}: {check.detail}")
    failed = sum(not c.ok for c in checks)
    if failed:
        print(f"\n{failed} check{'s' if failed != 1 else ''} failed.")
    return 1 if failed else 0


def _row(label: str, value: str) -> None:
    print(f"  {label:<16}{value}")


def _safe_uri(uri: str) -> str:
    try:
        return make_url(uri).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URI is shown as given, checks say why
        return uri


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def _sqlite_path(config: Config) -> Path | None:
    """The database file of a file-backed SQLite store, else None."""
    try:
        url = make_url(config.store_uri)
    except ArgumentError:
        raise MlopsUsageError(
            f"Invalid store URI {config.store_uri!r} (from {config.sources.get('store_uri')}); "
            "use e.g. sqlite:///path/mlops.db or postgresql+psycopg://host/db."
        ) from None
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve()


def _writable_dir(path: Path) -> tuple[bool, str]:
    """Whether ``path`` (which may not exist yet) can be written, and a one-line why."""
    if path.exists():
        if os.access(path, os.W_OK):
            return True, str(path)
        return False, f"{path} is not writable by this user; fix its permissions"
    parent = next(p for p in path.parents if p.exists())
    if os.access(parent, os.W_OK):
        return True, f"{path} (created on first use)"
    return False, f"{path} cannot be created: {parent} is not writable"


def _inspect_store(config: Config, db: Path | None) -> tuple[str, str | None, Check]:
    """The schema line, the runs line and the schema check; a missing store is not created."""
    from jupyter_mlops.store.migrations import HEAD_REVISION

    head = f"(head {HEAD_REVISION})"
    if db is not None and not db.exists():
        check = Check("schema", True, f"created at revision {HEAD_REVISION} on first use")
        return f"none yet {head}", None, check
    from jupyter_mlops.artifacts import ObjectStore
    from jupyter_mlops.store.core import Store
    from jupyter_mlops.store.engine import current_revision, make_engine
    from jupyter_mlops.store.runs import count_runs_by_status

    engine = make_engine(config.store_uri)
    try:
        revision = current_revision(engine)
        if revision == HEAD_REVISION:
            check = Check("schema", True, f"revision {revision} is the newest")
            try:
                objects = ObjectStore.from_uri(config.artifacts_uri)
            except (ImportError, ValueError):  # the artifact check reports why
                return f"{revision} {head}", None, check
            counts = count_runs_by_status(Store(engine, objects))
            runs = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none"
            return f"{revision} {head}", runs, check
    finally:
        engine.dispose()
    if revision is None or _known_revision(revision):
        detail = (
            f"revision {revision or 'none'} is migrated to {HEAD_REVISION} "
            "automatically the next time the store is opened"
        )
        return f"{revision or 'none'} {head}", None, Check("schema", True, detail)
    detail = (
        f"revision {revision} was written by a newer jupyter-mlops than {__version__}; "
        "upgrade jupyter-mlops"
    )
    return f"{revision} {head}", None, Check("schema", False, detail)


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory

    from jupyter_mlops.store import migrations

    scripts = ScriptDirectory(str(Path(migrations.__file__).parent))
    return any(script.revision == revision for script in scripts.walk_revisions())


def _check_store_writable(config: Config, db: Path | None) -> Check:
    if db is not None:
        # SQLite writes the -wal and -shm files beside the database: the folder must be writable.
        ok, why = _writable_dir(db.parent)
        if not ok:
            return Check("store writable", False, why)
        if not db.exists():
            return Check("store writable", True, f"{db} (created on first use)")
        if not os.access(db, os.W_OK):
            return Check("store writable", False, f"{db} is read-only; fix its permissions")
        return Check("store writable", True, str(db))
    from jupyter_mlops.store.engine import make_engine

    engine = make_engine(config.store_uri)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any driver error is the answer to this check
        cause = getattr(exc, "orig", None) or exc
        return Check("store reachable", False, one_line(f"{cause}"))
    finally:
        engine.dispose()
    return Check("store reachable", True, f"{_safe_uri(config.store_uri)} answers")


def _check_artifacts_writable(config: Config) -> Check:
    uri = config.artifacts_uri
    if "://" not in uri or uri.startswith("file://"):
        ok, why = _writable_dir(Path(uri.removeprefix("file://")))
        return Check("artifact store writable", ok, why)
    # A remote store: write and delete a probe, which is what the credentials must allow.
    from jupyter_mlops.artifacts import ObjectStore

    probe = ""
    try:
        objects = ObjectStore.from_uri(uri)
        probe = posixpath.join(objects.root, "tmp", f"doctor-{uuid.uuid4().hex}")
        objects.fs.pipe(probe, b"probe")
        objects.fs.rm(probe)
    except Exception as exc:  # noqa: BLE001 - any filesystem error is the answer to this check
        return Check("artifact store writable", False, one_line(f"{uri}: {exc}"))
    return Check("artifact store writable", True, uri)


def _check_git(root: Path) -> Check:
    git = shutil.which("git")
    if git is None:
        return Check("git available", False, "git is not on PATH; runs will not record commits")
    try:
        out = subprocess.run(
            [git, "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        inside = subprocess.run(
            [git, "-C", str(root), "rev-parse", "--is-inside-work-tree"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return Check("git available", False, one_line(f"{git} does not run: {exc}"))
    repo = "in a git repository" if inside.returncode == 0 else "project is not a git repository"
    return Check("git available", True, f"{out}; {repo}")


def _check_ipykernel() -> Check:
    if importlib.util.find_spec("ipykernel") is None:
        return Check(
            "ipykernel installed",
            False,
            "not installed; pip install 'jupyter-mlops[notebook]' to run notebooks",
        )
    return Check("ipykernel installed", True, _version("ipykernel") or "installed")


def _check_wal(db: Path) -> Check:
    """Read the journal mode from the file itself, read-only, before any engine touches it."""
    if not db.exists():
        return Check("SQLite WAL mode", True, "switched on when the store is created")
    try:
        conn = sqlite3.connect(f"file:{quote(str(db))}?mode=ro", uri=True, timeout=5)
        try:
            mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return Check("SQLite WAL mode", False, one_line(f"cannot read {db}: {exc}"))
    if mode == "wal":
        return Check("SQLite WAL mode", True, "on")
    return Check(
        "SQLite WAL mode",
        False,
        f"journal_mode is {mode}: concurrent writers will block; is {db.parent} on a "
        "network filesystem? Use a local disk or PostgreSQL",
    )
