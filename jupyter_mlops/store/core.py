"""The Store object: a database engine plus an artifact store, opened lazily."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, insert
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from jupyter_mlops.artifacts import ObjectStore
from jupyter_mlops.config import Config, load_config
from jupyter_mlops.errors import MlopsUsageError, ReadOnlyStoreError, StoreError
from jupyter_mlops.store.engine import make_engine, upgrade

#: How long a transaction waits for an unreachable database server (restart, failover).
RECONNECT_FOR_S = 30.0


def one_line(error: object) -> str:
    """The first line of a driver error (psycopg adds context lines)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# Connection errors that waiting does not cure: fail at once instead of retrying.
_PERMANENT = ("authentication", "does not exist", "no pg_hba.conf entry", "permission denied")


def _permanent(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return any(marker in text for marker in _PERMANENT)


# Why a write could not be done while reads still can: SQLite's result codes, PostgreSQL's
# SQLSTATEs (read-only transaction, disk full, no privilege), and their words as a fallback.
# A write that fails at the file (SQLITE_IOERR_WRITE) is a full disk or a size limit.
_READ_ONLY_SQLITE = (
    "SQLITE_READONLY",
    "SQLITE_FULL",
    "SQLITE_CANTOPEN",
    "SQLITE_PERM",
    "SQLITE_IOERR_WRITE",
)
_READ_ONLY_SQLSTATES = ("25006", "53100", "42501")
_READ_ONLY_WORDS = ("readonly", "read-only", "disk is full", "no space left", "permission")


def _cannot_write(exc: DBAPIError) -> bool:
    orig = exc.orig
    name = str(getattr(orig, "sqlite_errorname", ""))
    if name.startswith(_READ_ONLY_SQLITE):
        return True
    if getattr(orig, "sqlstate", None) in _READ_ONLY_SQLSTATES:
        return True
    text = str(orig).lower()
    return any(word in text for word in _READ_ONLY_WORDS)


def _write_failed(exc: DBAPIError) -> StoreError:
    """The one-line error for a write the database refused."""
    if _cannot_write(exc):
        return ReadOnlyStoreError(
            f"The store cannot be written ({one_line(exc.orig)}); nothing was written. "
            "Reading it still works; free disk space or make it writable to record."
        )
    return StoreError(f"The store could not be written: {one_line(exc.orig)}")


def dialect_insert(dialect: str) -> Any:
    """The INSERT with ON CONFLICT clauses of ``dialect`` (``postgresql`` or ``sqlite``)."""
    if dialect == "postgresql":
        # Imported here: 50 ms that a laptop store, and every step's kernel, never needs.
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    return sqlite.insert


def insert_many(
    conn: Connection, table: Any, columns: list[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) with the driver's own executemany.

    SQLAlchemy's insert builds and converts a parameter dict per row: most of the time of
    writing thousands of metric points (an import, an MLflow log-batch of 1,000).
    """
    if not rows:
        return
    style = conn.dialect.paramstyle
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(style)
    if mark is None:  # a driver with named parameters: SQLAlchemy's way
        conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join([mark] * len(columns))
    # The names are this schema's own, quoted; every value goes as a parameter.
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608
    conn.exec_driver_sql(sql, rows)


class Store:
    """A store: ``engine`` for records, ``objects`` for content-addressed bytes."""

    def __init__(
        self,
        engine: Engine,
        objects: ObjectStore,
        *,
        stale_after: float = 60.0,
        config: Config | None = None,
    ) -> None:
        self.engine = engine
        self.objects = objects
        self.stale_after = stale_after
        self.config = config
        self.dialect = engine.dialect.name
        self._reaped_at = 0.0
        #: Runs found dead whose ``killed`` could not be written (a read-only store): each
        #: read shows them killed, and each reap tries to record it again.
        self.unrecorded_kills: dict[str, float] = {}
        #: Seconds to keep retrying to connect to an unreachable PostgreSQL server.
        self.reconnect_for = RECONNECT_FOR_S
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r}, {self.objects!r})"

    @property
    def uri(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it takes the write lock up front.

        Opening the transaction is retried: on SQLite while another writer holds the lock,
        on PostgreSQL while the server is unreachable (restarting) for up to
        ``reconnect_for`` seconds. A failure once the work began rolls the transaction
        back and raises :class:`StoreError`: nothing is half-written.
        """
        with self._transaction(write=True) as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (opening it is retried like :meth:`write`)."""
        with self._transaction(write=False) as conn:
            yield conn

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Connection]:
        attempts = 0
        started = time.monotonic()
        entered = False
        while True:
            try:
                with (
                    self.engine.connect().execution_options(mlops_write=write) as conn,
                    conn.begin(),
                ):
                    entered = True
                    yield conn
                return
            except DataError as exc:
                # PostgreSQL checks lengths and types SQLite lets through (e.g. a run name
                # longer than 255 characters): the input is at fault, and nothing was written.
                raise MlopsUsageError(
                    f"The store's database refused a value: {one_line(exc.orig)}. "
                    "Shorten or correct it; nothing was written."
                ) from exc
            except OperationalError as exc:
                if entered:
                    if write and _cannot_write(exc):
                        raise _write_failed(exc) from exc
                    if self.dialect == "postgresql":
                        raise StoreError(
                            f"The store's database failed during a transaction, which was "
                            f"rolled back: {one_line(exc.orig)}"
                        ) from exc
                    if not write:
                        raise StoreError(
                            f"The store's database could not be read: {one_line(exc.orig)}"
                        ) from exc
                    raise _write_failed(exc) from exc
                attempts += 1
                if self.dialect == "postgresql":
                    # The server restarting or briefly unreachable: reconnect with backoff.
                    waited = time.monotonic() - started
                    if waited >= self.reconnect_for or _permanent(exc):
                        raise StoreError(
                            f"Cannot reach the store's database at {self.uri} "
                            f"(retried for {waited:.0f} s): {one_line(exc.orig)}. "
                            "Check that the server is up and MLOPS_STORE_URI is right."
                        ) from exc
                    time.sleep(min(0.1 * attempts, 1.0))
                    continue
                # The busy timeout already waited; a lock error this late means
                # heavy contention, so back off and retry a few times.
                if "locked" not in str(exc.orig).lower() or attempts > 5:
                    if not write:
                        raise StoreError(
                            f"The store's database could not be read: {one_line(exc.orig)}"
                        ) from exc
                    raise _write_failed(exc) from exc
                time.sleep(0.05 * attempts)
            except IntegrityError:
                raise  # a lost race or a broken rule: the caller tells which
            except DBAPIError as exc:
                # Anything else the driver raises (a read-only PostgreSQL transaction, a file
                # that is not a database) is one line about the store, the driver's as cause.
                if write and _cannot_write(exc):
                    raise _write_failed(exc) from exc
                raise StoreError(f"The store's database failed: {one_line(exc.orig)}") from exc

    def insert_or_update(
        self,
        conn: Connection,
        table: Any,
        rows: list[dict[str, Any]],
        keys: list[str],
        update: list[str],
        where: Any = None,
    ) -> None:
        """Upsert ``rows`` on the primary ``keys``, portable across SQLite and PostgreSQL."""
        if not rows:
            return
        stmt = dialect_insert(self.dialect)(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=keys,
            set_={col: stmt.excluded[col] for col in update},
            where=where(table, stmt.excluded) if where is not None else None,
        )
        conn.execute(stmt, rows)

    def close(self) -> None:
        self.engine.dispose()


def open_store(
    uri: str | None = None,
    artifacts_uri: str | None = None,
    *,
    config: Config | None = None,
) -> Store:
    """Open (creating and migrating when needed) the store for the current project."""
    config = config or load_config()
    store_uri = uri or config.store_uri
    try:
        engine = make_engine(store_uri)
    except OSError as exc:  # its folder cannot be made
        raise StoreError(f"Cannot open the store {store_uri}: {exc}") from exc
    try:
        upgrade(engine)
    except IntegrityError:
        engine.dispose()
        raise
    except DBAPIError as exc:  # e.g. a file that is not a database
        engine.dispose()
        raise StoreError(f"Cannot open the store {store_uri}: {one_line(exc.orig)}") from exc
    except BaseException:
        engine.dispose()  # close the pool: no connection outlives a store that did not open
        raise
    objects_uri = artifacts_uri or config.artifacts_uri
    if "://" not in objects_uri:
        try:
            os.makedirs(objects_uri, exist_ok=True)
        except OSError as exc:
            engine.dispose()
            raise StoreError(f"Cannot open the artifact store {objects_uri!r}: {exc}") from exc
    try:
        objects = ObjectStore.from_uri(objects_uri, config=config)
    except (ValueError, ImportError) as exc:
        engine.dispose()
        raise StoreError(f"Cannot open the artifact store {objects_uri!r}: {exc}") from exc
    return Store(engine, objects, stale_after=config.stale_after, config=config)


_current: dict[tuple[Any, ...], Store] = {}
_current_lock = threading.Lock()


def current_store() -> Store:
    """The store for the working directory and environment, opened once per process."""
    config = load_config()
    key = (config.store_uri, config.artifacts_uri, os.getpid())
    with _current_lock:
        store = _current.get(key)
        if store is None:
            store = open_store(config=config)
            _current[key] = store
        return store


def reset_current_store() -> None:
    """Forget cached stores (tests; after changing MLOPS_* settings)."""
    with _current_lock:
        for store in _current.values():
            store.close()
        _current.clear()
