"""Is the store sound? Read-only checks of its database and artifact store, for doctor and verify.

Nothing here creates or changes a store: a SQLite database is read through a read-only
connection before any engine touches it (connecting an engine switches WAL on).
"""

from __future__ import annotations

import os
import posixpath
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from jupyter_mlops._version import __version__
from jupyter_mlops.artifacts import ObjectStore
from jupyter_mlops.config import Config
from jupyter_mlops.errors import MlopsError, MlopsUsageError, StoreError
from jupyter_mlops.store import migrations
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store, one_line
from jupyter_mlops.store.engine import current_revision, empty_database_message, make_engine
from jupyter_mlops.store.migrations import HEAD_REVISION
from jupyter_mlops.store.runs import count_runs_by_status

__all__ = [
    "HEAD_REVISION",
    "QUICK_CHECK_OK",
    "Check",
    "StoreFacts",
    "check_database",
    "count_records",
    "inspect_store",
    "safe_uri",
]


#: What :func:`check_database` says of a sound SQLite database.
QUICK_CHECK_OK = "SQLite quick_check: ok"


@dataclass(frozen=True)
class Check:
    """One line of the checks: what was checked, whether it passed, and why."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class StoreFacts:
    """The store's schema line, its runs by status (None when not opened) and the checks."""

    schema: str
    runs: str | None
    checks: tuple[Check, ...]


def safe_uri(uri: str) -> str:
    """``uri`` without its password."""
    try:
        return make_url(uri).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URI is shown as given, checks say why
        return uri


def sqlite_path(config: Config) -> Path | None:
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


# -- the database ---------------------------------------------------------------------


def quick_check_file(db: Path) -> str | None:
    """SQLite's ``PRAGMA quick_check`` on a database file, read-only: None when it is sound,
    else one line saying what is wrong."""
    if db.stat().st_size == 0:
        return empty_database_message(db)
    try:
        conn = sqlite3.connect(f"file:{quote(str(db))}?mode=ro", uri=True, timeout=5)
        try:
            rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return _damaged(db, str(exc))
    return None if rows == ["ok"] else _damaged(db, rows[0] if rows else "no answer")


def _damaged(where: object, why: str) -> str:
    return one_line(
        f"The store's database {where} is damaged: PRAGMA quick_check says {why!r}. "
        "Restore it from a backup (stop every writer first)."
    )


def check_database(store: Store) -> str:
    """Check an open store's database; a one-line description of what was checked.

    SQLite: ``PRAGMA quick_check``. PostgreSQL (which checks its pages itself): that it
    answers and holds every table and column of this version's schema.

    Raises:
        StoreError: the database is damaged, unreachable, or lacks part of the schema.
    """
    if store.dialect == "sqlite":
        try:
            with store.engine.connect() as conn:
                rows = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA quick_check")]
        except SQLAlchemyError as exc:
            raise StoreError(_damaged(store.uri, one_line(getattr(exc, "orig", exc)))) from exc
        if rows != ["ok"]:
            raise StoreError(_damaged(store.uri, rows[0] if rows else "no answer"))
        return QUICK_CHECK_OK
    try:
        missing = missing_schema(store.engine)
    except SQLAlchemyError as exc:
        cause = one_line(getattr(exc, "orig", exc))
        raise StoreError(f"The store's database {store.uri} does not answer: {cause}") from exc
    if missing:
        raise StoreError(
            f"The store's database {store.uri} lacks {', '.join(missing[:3])}"
            f"{' and more' if len(missing) > 3 else ''}: restore it from a backup."
        )
    return f"{store.dialect}: reachable, every table and column present"


def missing_schema(engine: Engine) -> list[str]:
    """Tables and columns of this version's schema that the database lacks."""
    inspector = inspect(engine)
    present = set(inspector.get_table_names())
    missing: list[str] = []
    for table in t.metadata.sorted_tables:
        if table.name not in present:
            missing.append(f"table {table.name}")
            continue
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        missing += [f"column {table.name}.{c.name}" for c in table.columns if c.name not in columns]
    return missing


def count_records(store: Store) -> dict[str, int]:
    """How many runs, datasets, registered models, pipeline runs and schedules the store holds."""
    with store.read() as conn:
        return {
            table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for table in (t.runs, t.datasets, t.registered_models, t.pipeline_runs, t.schedules)
        }


# -- doctor's checks ------------------------------------------------------------------


def inspect_store(config: Config) -> StoreFacts:
    """The store's schema and runs and every store check; a missing store is not created."""
    db = sqlite_path(config)
    checks: list[Check] = [_check_store_writable(config, db), _check_artifacts_writable(config)]
    head = f"(head {HEAD_REVISION})"
    if db is not None and not db.exists():
        checks += [
            Check("schema", True, f"created at revision {HEAD_REVISION} on first use"),
            Check("SQLite WAL mode", True, "switched on when the store is created"),
        ]
        return StoreFacts(f"none yet {head}", None, tuple(checks))
    if db is not None:
        # Read the journal mode and the pages before any engine connects: that switches WAL on.
        problem = quick_check_file(db)
        checks.append(Check("database integrity", problem is None, problem or "quick_check ok"))
        if problem is not None:
            return StoreFacts(f"unknown {head}", None, tuple(checks))
        checks.append(_check_wal(db))
    schema, runs, check = _inspect_schema(config)
    checks.insert(2, check)
    return StoreFacts(schema, runs, tuple(checks))


def _inspect_schema(config: Config) -> tuple[str, str | None, Check]:
    head = f"(head {HEAD_REVISION})"
    try:
        engine = make_engine(config.store_uri)
    except MlopsError as exc:
        return f"unknown {head}", None, Check("schema", False, one_line(exc))
    try:
        revision = current_revision(engine)
        if revision == HEAD_REVISION:
            missing = missing_schema(engine)
            if missing:
                detail = f"revision {revision} but the database lacks {', '.join(missing[:3])}"
                return f"{revision} {head}", None, Check("schema", False, detail)
            check = Check("schema", True, f"revision {revision} is the newest")
            try:
                objects = ObjectStore.from_uri(config.artifacts_uri)
            except (ImportError, ValueError):  # the artifact check reports why
                return f"{revision} {head}", None, check
            counts = count_runs_by_status(Store(engine, objects))
            runs = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none"
            return f"{revision} {head}", runs, check
    except (SQLAlchemyError, StoreError) as exc:  # store reads raise StoreError
        detail = f"the database does not answer: {one_line(getattr(exc, 'orig', exc))}"
        return f"unknown {head}", None, Check("schema", False, detail)
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
    # start-up: alembic costs ~300 ms; only a store at an unknown revision needs it.
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(Path(migrations.__file__).parent))
    return any(script.revision == revision for script in scripts.walk_revisions())


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
    engine = make_engine(config.store_uri)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any driver error is the answer to this check
        cause = getattr(exc, "orig", None) or exc
        return Check("store reachable", False, one_line(f"{cause}"))
    finally:
        engine.dispose()
    return Check("store reachable", True, f"{safe_uri(config.store_uri)} answers")


def _check_artifacts_writable(config: Config) -> Check:
    uri = config.artifacts_uri
    if "://" not in uri or uri.startswith("file://"):
        ok, why = _writable_dir(Path(uri.removeprefix("file://")))
        return Check("artifact store writable", ok, why)
    # A remote store: write and delete a probe, which is what the credentials must allow.
    probe = ""
    try:
        objects = ObjectStore.from_uri(uri)
        probe = posixpath.join(objects.root, "tmp", f"doctor-{uuid.uuid4().hex}")
        objects.fs.pipe(probe, b"probe")
        objects.fs.rm(probe)
    except Exception as exc:  # noqa: BLE001 - any filesystem error is the answer to this check
        return Check("artifact store writable", False, one_line(f"{uri}: {exc}"))
    return Check("artifact store writable", True, uri)


def _check_wal(db: Path) -> Check:
    """Read the journal mode from the file itself, read-only, before any engine touches it."""
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
