"""Notebooks built from cell sources and executed by papermill in a real kernel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest

KERNEL = "python3"  # jupyter_client runs "python" kernelspecs with this interpreter


def build_notebook(path: Path, cells: list[str]) -> Path:
    """Write a notebook of code cells; a cell starting ``# parameters`` gets the papermill tag."""
    nb = nbformat.v4.new_notebook()
    for source in cells:
        cell = nbformat.v4.new_code_cell(source)
        if source.startswith("# parameters"):
            cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def run_notebook(store_dir: Path) -> Callable[..., Any]:
    """Build a notebook in ``store_dir`` and execute it there with papermill; return the output."""

    def run(name: str, cells: list[str], **parameters: Any) -> Any:
        source = build_notebook(store_dir / f"{name}.ipynb", cells)
        return papermill.execute_notebook(
            str(source),
            str(store_dir / f"{name}.out.ipynb"),
            parameters=parameters,
            kernel_name=KERNEL,
            cwd=str(store_dir),
            progress_bar=False,
            execution_timeout=240,
        )

    return run


def outputs(nb: Any, index: int) -> list[dict[str, Any]]:
    """The outputs of cell ``index`` of an executed notebook."""
    return list(nb.cells[index].outputs)
