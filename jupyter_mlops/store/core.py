"""The Store object: a database engine plus an artifact store, opened lazily."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from jupyter_mlops.artifacts import ObjectStore
from jupyter_mlops.config import Config, load_config
from jupyter_mlops.errors import StoreError
from jupyter_mlops.store.engine import make_engine, upgrade


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
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r}, {self.objects!r})"

    @property
    def uri(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it takes the write lock up front."""
        attempts = 0
        while True:
            try:
                with (
                    self.engine.connect().execution_options(mlops_write=True) as conn,
                    conn.begin(),
                ):
                    yield conn
                return
            except OperationalError as exc:
                # The busy timeout already waited; a lock error this late means
                # heavy contention, so back off and retry a few times.
                attempts += 1
                if "locked" not in str(exc.orig).lower() or attempts > 5:
                    raise StoreError(f"The store could not be written: {exc.orig}") from exc
                time.sleep(0.05 * attempts)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

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
        dialect_insert: Any = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        stmt = dialect_insert(table)
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
    engine = make_engine(store_uri)
    try:
        upgrade(engine)
    except BaseException:
        engine.dispose()  # close the pool: no connection outlives a store that did not open
        raise
    objects_uri = artifacts_uri or config.artifacts_uri
    if "://" not in objects_uri:
        os.makedirs(objects_uri, exist_ok=True)
    try:
        objects = ObjectStore.from_uri(objects_uri)
    except (ValueError, ImportError) as exc:
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
