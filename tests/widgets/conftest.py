"""Panels read a real SQLite store in a fresh project folder (tests/conftest.py: store_dir)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.tracking import fluent


@pytest.fixture
def backend() -> str:
    """Panels only read through the store's API; tests/store covers PostgreSQL."""
    return "sqlite"


@pytest.fixture
def project(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The project's store, empty, in a folder outside any git repository."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(store_dir))
    yield current_store()
    while (run := fluent.active_run()) is not None:
        run.end("killed", error="left running by a test")


@pytest.fixture
def make_run(project: Store) -> Callable[..., str]:
    """``make_run(name, params=..., metrics=..., curve=...)`` -> the id of a finished run."""

    def make(
        name: str,
        *,
        params: dict[str, Any] | None = None,
        metrics: dict[str, float] | None = None,
        curve: dict[str, list[float]] | None = None,
        experiment: str = "churn",
        status: str = "finished",
    ) -> str:
        with mlops.start_run(name, experiment=experiment, params=params, store=project) as run:
            if metrics:
                run.log_metrics(metrics)
            for key, values in (curve or {}).items():
                for step, value in enumerate(values):
                    run.log_metric(key, value, step=step)
            if status != "finished":
                run.end(status)
        return run.id

    return make
