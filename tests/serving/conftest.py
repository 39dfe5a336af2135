"""Fixtures for serving: a store with iris classifiers registered, servers started on it.

Servers run on SQLite (a server is a store client like any other; the store's own SQL for
serving runs on both backends in ``test_store.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops.services import schema, serving
from jupyter_mlops.store import Store


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture(scope="session")
def iris() -> tuple[pd.DataFrame, pd.Series]:
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture
def register(store: Store, iris: tuple[pd.DataFrame, pd.Series]) -> Callable[..., int]:
    """Fit a LogisticRegression on iris, register it as ``iris``; promote it if ``to``."""

    def make(*, C: float = 1.0, to: str | None = "production", model: Any = None) -> int:
        X, y = iris
        fitted = model if model is not None else LogisticRegression(C=C, max_iter=500).fit(X, y)
        with mlops.start_run(store=store) as run:
            run.log_model(fitted, "model", input_example=X[:3])
        version = mlops.models.register(run.id, "iris", store=store).version
        if to:
            mlops.models.promote("iris", version, to=to, checks=["version >= 1"], store=store)
        return version

    return make


@pytest.fixture
def serve(store: Store) -> Iterator[Callable[..., str]]:
    """Start a server of this process on a free port; returns its URL. Stopped after."""
    started: list[str] = []

    def start(uri: str = "models:/iris@production", **options: Any) -> str:
        options.setdefault("poll_seconds", 0.1)
        info = serving.start(store, schema.ServeRequest(uri=uri, port=0, **options))
        started.append(info.url)
        return info.url

    yield start
    still = {info.url for info in serving.running()}
    for url in started:
        if url in still:
            serving.stop(url)
