"""Fixtures for the model registry: a real SQLite store, runs that log a fitted model."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sqlalchemy import insert

import jupyter_mlops as mlops
from jupyter_mlops.store import Store, open_store
from jupyter_mlops.store import tables as t


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly migrated empty store database; copying it skips the migrations per test."""
    folder = tmp_path_factory.mktemp("template")
    open_store(f"sqlite:///{folder}/m.db", str(folder / "objects")).close()
    return folder / "m.db"


@pytest.fixture
def make_store(tmp_path: Path, migrated_db: Path) -> Iterator[Callable[[str], Store]]:
    opened: list[Store] = []

    def make(name: str = "m") -> Store:
        db = tmp_path / f"{name}.db"
        if not db.exists():
            shutil.copyfile(migrated_db, db)
        store = open_store(f"sqlite:///{db}", str(tmp_path / f"{name}-objects"))
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[[str], Store]) -> Store:
    return make_store("m")


@pytest.fixture(scope="session")
def data() -> tuple[Any, Any]:
    return make_classification(n_samples=200, n_features=5, random_state=0)


@pytest.fixture
def make_run(store: Store, data: tuple[Any, Any]) -> Callable[..., str]:
    """Start and end a run that fits and logs a LogisticRegression; return the run id."""

    def make(
        *,
        C: float = 1.0,
        metrics: dict[str, float] | None = None,
        models: tuple[str, ...] = ("model",),
        inputs: list[dict[str, Any]] | None = None,
    ) -> str:
        X, y = data
        with mlops.start_run(store=store) as run:
            estimator = LogisticRegression(C=C).fit(X, y)
            for name in models:
                run.log_model(estimator, name, input_example=X[:3])
            run.log_param("C", C)
            run.log_metrics(metrics if metrics is not None else {"roc_auc": 0.9})
            for item in inputs or []:
                run.log_input(**item)
        return run.id

    return make


@pytest.fixture
def add_dataset_version(store: Store) -> Callable[..., int]:
    """Insert a dataset version directly (the data module is another feature); return its id."""

    def add(name: str, version: int, digest: str, *, run_id: str | None = None) -> int:
        now = time.time()
        with store.write() as conn:
            row = conn.execute(t.datasets.select().where(t.datasets.c.name == name)).first()
            if row is None:
                result = conn.execute(insert(t.datasets).values(name=name, created_at=now))
                dataset_id = int(result.inserted_primary_key[0])
            else:
                dataset_id = int(row.id)
            result = conn.execute(
                insert(t.dataset_versions).values(
                    dataset_id=dataset_id,
                    version=version,
                    digest=digest,
                    size=10,
                    format="csv",
                    kind="file",
                    row_count=200,
                    run_id=run_id,
                    created_at=now,
                )
            )
            return int(result.inserted_primary_key[0])

    return add


@pytest.fixture
def link_dataset(store: Store) -> Callable[..., None]:
    """Record that a run read (``input``) or wrote (``output``) a dataset version."""

    def link(run_id: str, version_id: int, role: str, direction: str = "input") -> None:
        with store.write() as conn:
            conn.execute(
                insert(t.run_dataset_links).values(
                    run_id=run_id,
                    version_id=version_id,
                    role=role,
                    direction=direction,
                    created_at=time.time(),
                )
            )

    return link


@pytest.fixture
def write_notebook() -> Callable[..., Path]:
    """Write a validation notebook: a ``parameters`` cell, then one code cell per source."""
    import nbformat

    def write(path: Path, sources: list[str]) -> Path:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        params = nbformat.v4.new_code_cell(
            "model_uri = None\nstage = None\nvalidation_run_id = None"
        )
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, *(nbformat.v4.new_code_cell(src) for src in sources)]
        nbformat.write(nb, path)
        return path

    return write
