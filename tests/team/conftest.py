"""Team-scale fixtures: a real S3-compatible server and a real Dask cluster on 127.0.0.1.

Both run as separate processes started once per session (see ``_s3.py`` and ``_dask.py``).
Stores here are SQLite plus the object server; the PostgreSQL side is tested by the store
suites' ``backend`` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_mlops.store import Store, current_store
from tests.team._dask import DaskCluster, dask_cluster
from tests.team._s3 import MotoServer, moto_server, use_s3


@pytest.fixture(scope="session")
def s3() -> Iterator[MotoServer]:
    """moto's S3 server for the whole session, with the test bucket made."""
    with moto_server() as server:
        yield server


@pytest.fixture
def s3_uri(s3: MotoServer, store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """This project's artifacts on a fresh ``s3://`` prefix (the database stays SQLite)."""
    return use_s3(monkeypatch, s3)


@pytest.fixture
def s3_store(s3_uri: str) -> Store:
    """The project's store: SQLite records, artifacts on the S3 server."""
    store = current_store()
    assert store.objects.uri == s3_uri
    return store


@pytest.fixture(scope="session")
def dask_session() -> Iterator[DaskCluster]:
    """A Dask scheduler and one worker, as separate processes, for the whole session."""
    with dask_cluster() as cluster:
        yield cluster


@pytest.fixture
def dask(dask_session: DaskCluster) -> DaskCluster:
    """The session's cluster, its worker up (a test may have killed it; its nanny restarts it)."""
    dask_session.wait_for_workers(1)
    return dask_session
