"""Fixtures for tracking tests: a clean working folder, no leftover runs; SQLite stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_mlops.tracking import active, fluent


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
        active.pop(run)


@pytest.fixture
def backend() -> str:
    """Tracking tests run on SQLite; tests/team/test_postgres_tracking.py covers PostgreSQL."""
    return "sqlite"
