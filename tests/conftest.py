"""Fixtures shared by every test folder.

Store fixtures run each test that asks for ``store``/``make_store``/``store_uri`` twice: on
SQLite and on a real PostgreSQL (a throwaway server started once per session, see
``tests/_postgres.py``). A folder can narrow that by overriding the ``backend`` fixture.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _postgres import PostgresServer

from jupyter_mlops.store import Store, open_store, reset_current_store

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh project folder as the working directory, with an empty ``.mlops/`` store.

    ``MLOPS_*`` variables are removed so the store is ``tmp_path/.mlops``; the cached store
    is reset before and after, so no test sees another's runs.
    """
    for key in [k for k in os.environ if k.startswith("MLOPS_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".mlops").mkdir()
    reset_current_store()
    yield tmp_path
    reset_current_store()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server on 127.0.0.1 for the whole session, with a migrated template.

    Fails (never skips) when the server binaries are missing: CI installs them.
    """
    server = PostgresServer()
    try:
        server.start()
        server.migrate_template()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database a store test runs on: ``sqlite`` or ``postgresql``."""
    return str(request.param)


@pytest.fixture
def make_store_uri(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., str]]:
    """``make(name)`` -> the URI of a fresh, empty store database (the same for the same name).

    ``migrated=False`` gives a PostgreSQL database without the schema (SQLite files start
    empty anyway), for tests of creating and migrating a store.
    """
    made: dict[str, str] = {}
    server: PostgresServer | None = None
    if backend == "postgresql":
        server = request.getfixturevalue("postgres")

    def make(name: str = "m", *, migrated: bool = True) -> str:
        if name not in made:
            if server is None:
                made[name] = f"sqlite:///{tmp_path}/{name}.db"
            else:
                made[name] = server.new_database(migrated=migrated)
        return made[name]

    yield make
    if server is not None:
        for uri in made.values():
            server.drop_database(uri)


@pytest.fixture
def store_uri(make_store_uri: Callable[..., str]) -> str:
    """The URI of a fresh store database on the backend under test."""
    return make_store_uri()


@pytest.fixture
def make_store(
    make_store_uri: Callable[..., str], tmp_path: Path
) -> Iterator[Callable[..., Store]]:
    """Open a store on the backend under test (the same database for the same name)."""
    opened: list[Store] = []

    def make(name: str = "m") -> Store:
        store = open_store(make_store_uri(name), str(tmp_path / f"{name}-objects"))
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    """A fresh store on the backend under test."""
    return make_store()
