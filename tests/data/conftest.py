"""Fixtures for dataset tests: a real SQLite store, a counting hasher, small tables."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_mlops.data.service import Datasets
from jupyter_mlops.data.state import StateCache, hash_file
from jupyter_mlops.store import Store, open_store


class CountingHasher:
    """The real hasher, counting which files it was asked to read."""

    def __init__(self) -> None:
        self.calls: list[Path] = []

    def __call__(self, path: Path) -> str:
        self.calls.append(path)
        return hash_file(path)


def later() -> float:
    """A clock an hour ahead: files written by a test look old enough to trust their stat."""
    return time.time() + 3600


@pytest.fixture(autouse=True)
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in a project folder of our own, with no MLOPS_* settings from outside."""
    for key in [k for k in os.environ if k.startswith("MLOPS_")]:
        monkeypatch.delenv(key)
    root = tmp_path / "project"
    (root / ".mlops").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator[Callable[..., Store]]:
    """Open a store under ``tmp_path``; ``objects="memory"`` puts its objects in memory."""
    opened: list[Store] = []

    def make(name: str = "m", *, objects: str = "local") -> Store:
        where = str(tmp_path / f"{name}-objects")
        if objects == "memory":
            where = f"memory://cas-{uuid.uuid4().hex}"
        store = open_store(f"sqlite:///{tmp_path}/{name}.db", where)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    return make_store()


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def datasets(store: Store, hasher: CountingHasher) -> Datasets:
    """The dataset service on ``store``, hashing through ``hasher``."""
    return Datasets(store, state=StateCache(store, hasher=hasher, clock=later))


@pytest.fixture
def frame() -> pd.DataFrame:
    """A small mixed table with missing values."""
    rng = np.random.default_rng(7)
    n = 200
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "income": rng.normal(50_000, 12_000, n).round(2),
            "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.6, 0.3, 0.1]),
            "churned": rng.random(n) < 0.2,
        }
    )
    df.loc[::10, "income"] = np.nan
    df.loc[::25, "plan"] = None
    return df


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """An empty folder for source files."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder
