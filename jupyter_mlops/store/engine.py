"""Engines: SQLite tuned for several writers, and schema migration on open."""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError

from jupyter_mlops.errors import MlopsUsageError, StoreError
from jupyter_mlops.store.migrations import HEAD_REVISION

_MIGRATION_LOCK = threading.Lock()
BUSY_TIMEOUT_S = 60.0


def parse_uri(uri: str) -> URL:
    """Parse a store URI; MlopsUsageError with an example when it is not one."""
    try:
        return make_url(uri)
    except ArgumentError as exc:
        raise MlopsUsageError(
            f"Invalid store URI {uri!r}: {exc}. Use e.g. sqlite:///path/mlops.db."
        ) from exc


def make_engine(uri: str) -> Engine:
    """Create an engine for ``uri``; SQLite gets WAL, a busy timeout and explicit locking."""
    url = parse_uri(uri)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, future=True)
    database = url.database or ""
    # A ``file:`` URI (``?mode=ro&uri=true``: read-only) names an existing file: create nothing.
    if (
        database
        and database != ":memory:"
        and not database.startswith("file:")
        and not url.query.get("uri")
    ):
        _create_or_refuse_empty(Path(database))
    engine = create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
        future=True,
    )
    _tune_sqlite(engine)
    return engine


def empty_database_message(path: Path) -> str:
    """What to say about a 0-byte database file (the caller raises or reports it)."""
    return (
        f"The store's database {path} is empty (0 bytes): it holds no store, and it is not "
        "replaced by a new one in case it was emptied by accident. Restore it from a backup, "
        "or delete it to start a new store."
    )


def _create_or_refuse_empty(path: Path) -> None:
    """Create a new database with its header written, or refuse a 0-byte one.

    SQLite takes a 0-byte file for a new database and would fill it with an empty store: a
    database truncated by a crash or a bad copy would silently become a fresh store. A new
    store is created under the migration lock with its header written at once (WAL mode), so
    no other process ever sees it at 0 bytes.
    """
    if _size(path) not in (None, 0):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.migrate-lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            size = _size(path)
            if size == 0:
                raise StoreError(empty_database_message(path))
            if size is None:
                conn = sqlite3.connect(path)
                try:
                    conn.execute("PRAGMA journal_mode=WAL")
                finally:
                    conn.close()
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event own transaction start, so writers can
        # take the lock up front (BEGIN IMMEDIATE): a deferred transaction that
        # upgrades to a writer gets SQLITE_BUSY without waiting on the timeout.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("mlops_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    except (OperationalError, ProgrammingError):
        return None
    return None if row is None else str(row[0])


@contextmanager
def _cross_process_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations between processes opening one store at the same moment.

    Alembic commits SQLite migrations one revision at a time (SQLite DDL is not run in one
    transaction), so two processes could each apply the same revision. A lock file beside the
    database (SQLite) or an advisory lock (PostgreSQL) makes the second wait and re-check.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT pg_advisory_lock(727274)")
            try:
                yield
            finally:
                conn.exec_driver_sql("SELECT pg_advisory_unlock(727274)")
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def _reachable(engine: Engine) -> Iterator[None]:
    """Say which database could not be reached, in one line, instead of a driver trace."""
    try:
        yield
    except OperationalError as exc:
        first = (str(exc.orig).strip().splitlines() or ["unreachable"])[0]
        raise StoreError(
            f"Cannot open the store {engine.url.render_as_string(hide_password=True)}: {first}. "
            "Check the URI and that the database server is up."
        ) from exc


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it already is)."""
    if current_revision(engine) == HEAD_REVISION:
        return
    # start-up: alembic costs ~300 ms; only a store whose schema is behind needs it.
    from alembic import command, util
    from alembic.config import Config as AlembicConfig

    with _MIGRATION_LOCK, _reachable(engine), _cross_process_lock(engine):
        # Another process may have migrated while we waited for the lock.
        if current_revision(engine) == HEAD_REVISION:
            return
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        try:
            with engine.connect().execution_options(mlops_write=True) as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
        except OperationalError as exc:
            raise StoreError(f"Cannot migrate the store at {engine.url!r}: {exc.orig}") from exc
        except util.CommandError as exc:
            # The usual cause: a newer release migrated this store past our newest revision.
            raise StoreError(
                f"The store at {engine.url!r} is at schema revision "
                f"{current_revision(engine)!r}, which this version does not know "
                f"(newest: {HEAD_REVISION!r}); it was probably written by a newer "
                f"jupyter-mlops: upgrade jupyter-mlops to open it. ({exc})"
            ) from exc
