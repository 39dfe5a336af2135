"""Fixtures for store tests: real SQLite stores in a temporary folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jupyter_mlops.store import Store, open_store


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
