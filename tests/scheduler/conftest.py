"""Fixtures for schedules: a project folder, a store, tiny notebooks and a settable clock."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from jupyter_mlops.store import Store, current_store

T0 = 1_767_261_600.0  # 2026-01-01 10:00:00 UTC, a Thursday


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = T0) -> None:
        self.value = now

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(store_dir: Path) -> Store:
    return current_store()


@pytest.fixture
def make_notebook(store_dir: Path) -> Callable[..., Path]:
    """Write a notebook of code cells (the first is tagged ``parameters``)."""

    def make(name: str, *cells: str, params: str = "x = 1") -> Path:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nb.cells.append(nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}))
        for source in cells:
            nb.cells.append(nbformat.v4.new_code_cell(textwrap.dedent(source)))
        path = store_dir / name
        nbformat.write(nb, path)
        return path

    return make
