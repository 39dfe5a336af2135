"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_mlops.store import reset_current_store


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
