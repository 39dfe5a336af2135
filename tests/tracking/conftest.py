"""Fixtures for tracking tests: a real SQLite store, a clean working folder, no leftover runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jupyter_mlops.store import Store, open_store
from jupyter_mlops.tracking import fluent


@pytest.fixture(autouse=True)
def clean_workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run each test in an empty folder outside any git repository, with no MLOPS_* settings."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for var in ("MLOPS_NOTEBOOK", "JPY_SESSION_NAME", "MLOPS_EXPERIMENT", "MLOPS_STORE_URI"):
        monkeypatch.delenv(var, raising=False)
    yield work
    # A test that failed half-way must not leave its run active for the next one.
    while (run := fluent.active_run()) is not None:
        run.end("killed", error="left running by a test")
        fluent._pop(run)


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator[Callable[..., Store]]:
    """Open a store on an SQLite file under ``tmp_path`` (the same file for the same name)."""
    opened: list[Store] = []

    def make(name: str = "m") -> Store:
        store = open_store(f"sqlite:///{tmp_path}/{name}.db", str(tmp_path / f"{name}-objects"))
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    return make_store()
