"""Fixtures shared by every test folder.

Store fixtures run each test that asks for ``store``/``make_store``/``store_uri`` twice: on
SQLite and on a real PostgreSQL (a throwaway server started once per session, see
``tests/_postgres.py``). A folder can narrow that by overriding the ``backend`` fixture.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from _postgres import PostgresServer
from IPython.core.interactiveshell import ExecutionResult, InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

from jupyter_mlops.cli import main
from jupyter_mlops.store import Store, open_store, reset_current_store
from jupyter_mlops.tracking import fluent

BACKENDS = ("sqlite", "postgresql")


def _room_for_sockets() -> None:
    """One xdist worker runs ~1,500 tests in one process, many starting kernels and servers
    in it; the descriptors and ZeroMQ sockets the test clients leave to the collector can
    reach a 1,024 limit before it runs. Raise the soft file limit to the hard one and the
    shared ZeroMQ context's socket cap, as long-lived test processes commonly do."""
    import resource

    import zmq

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    context = zmq.Context.instance()
    context.set(zmq.MAX_SOCKETS, max(context.get(zmq.MAX_SOCKETS), 8192))


_room_for_sockets()


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
    if any(store.dialect == "postgresql" for store in opened):
        # Runs the test dropped but left unended may sit in a reference cycle; the flusher
        # would beat their hearts after the close, reopening a connection that some later
        # test's garbage collection finds open (psycopg's ResourceWarning fails that test).
        gc.collect()
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    """A fresh store on the backend under test."""
    return make_store()


# -- the faces: a real IPython shell and the command line, run in this process ---------------


class Ran(NamedTuple):
    """What a cell gave: its ``Out`` value, its printed text, its displays (mime bundles)."""

    value: Any
    stdout: str
    displays: list[dict[str, Any]]

    @property
    def texts(self) -> list[str]:
        return [d.get("text/plain", "") for d in self.displays]


class RaisingShell(InteractiveShell):
    """An InteractiveShell whose ``run_cell`` raises the cell's error, so failures are loud."""

    def run_cell(self, raw_cell: str, store_history: bool = True, **kwargs: Any) -> ExecutionResult:
        result = super().run_cell(raw_cell, store_history=store_history, **kwargs)
        result.raise_error()
        return result

    def run(self, raw_cell: str) -> Ran:
        """Run a cell and collect what it printed and displayed (raising its error)."""
        with capture_output() as out:
            result = self.run_cell(raw_cell)
        return Ran(result.result, out.stdout, [o.data for o in out.outputs])


@pytest.fixture
def shell() -> Iterator[RaisingShell]:
    """A fresh shell in the working directory with ``%load_ext jupyter_mlops`` done.

    A run a failed test left active is ended (``killed``), and the test fails for it.
    """
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    made = RaisingShell.instance(config=config)
    made.run_cell("%load_ext jupyter_mlops")
    try:
        yield made
    finally:
        made.run_cell("%unload_ext jupyter_mlops")
        RaisingShell.clear_instance()
        leaked = fluent.active_run()
        while fluent.active_run() is not None:
            fluent.end_run("killed")
    assert leaked is None, f"the test left {leaked} active"


@pytest.fixture
def ip(store_dir: Path, shell: RaisingShell) -> RaisingShell:
    """:func:`shell` in a fresh project folder (``store_dir``)."""
    return shell


class Result(NamedTuple):
    """What ``jupyter-mlops ARGS`` gave: exit code, stdout, stderr."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run ``jupyter-mlops ARGS`` in this process and return its exit code and output."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run
