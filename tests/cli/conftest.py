"""Fixtures for the command line: a fresh project as the working directory, and a runner."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.store import Store, current_store, reset_current_store


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty project folder (with ``.mlops/``) as the working directory.

    ``MLOPS_*`` variables are removed, the terminal is 200 columns wide, and the
    per-process store cache is reset before and after so no test sees another's runs.
    """
    for key in [k for k in os.environ if k.startswith("MLOPS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".mlops").mkdir()
    reset_current_store()
    yield tmp_path
    reset_current_store()


@pytest.fixture
def store(project: Path) -> Store:
    return current_store()


@pytest.fixture
def make_run(store: Store) -> Callable[..., str]:
    """Record a finished run through the Python API and return its id."""

    def make(
        name: str,
        *,
        experiment: str = "churn",
        params: dict[str, Any] | None = None,
        metrics: dict[str, float] | None = None,
        artifacts: dict[str, bytes] | None = None,
        status: str = "finished",
    ) -> str:
        with mlops.start_run(name, experiment=experiment, params=params, store=store) as run:
            for key, value in (metrics or {}).items():
                run.log_metric(key, value)
            for path, data in (artifacts or {}).items():
                run.log_artifact(data, path)
            if status != "finished":
                run.end(status)
        return run.id

    return make
