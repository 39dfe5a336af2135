"""A real IPython shell with the extension loaded, whose ``run_cell`` re-raises errors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import ExecutionResult, InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

from jupyter_mlops.tracking import active, fluent
from jupyter_mlops.tracking.notebook import NotebookSession


@dataclass
class Ran:
    """What a cell gave: its ``Out`` value, its printed text, its displays."""

    value: Any
    stdout: str
    displays: list[dict[str, Any]]

    @property
    def texts(self) -> list[str]:
        return [d.get("text/plain", "") for d in self.displays]


class RaisingShell(InteractiveShell):
    """An InteractiveShell whose ``run_cell`` raises the cell's error, so failures are loud."""

    def run_cell(self, raw_cell: str, store_history: bool = True, **kwargs: Any) -> ExecutionResult:
        result = super().run_cell(raw_cell, store_history=store_history, **kwargs)
        result.raise_error()
        return result

    def run(self, raw_cell: str) -> Ran:
        """Run a cell and collect what it printed and displayed (raising its error)."""
        with capture_output() as out:
            result = self.run_cell(raw_cell)
        return Ran(result.result, out.stdout, [o.data for o in out.outputs])


@pytest.fixture
def ip(store_dir: Path) -> Iterator[RaisingShell]:
    """A fresh shell in ``store_dir`` with ``%load_ext jupyter_mlops`` done."""
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = RaisingShell.instance(config=config)
    shell.run_cell("%load_ext jupyter_mlops")
    try:
        yield shell
    finally:
        shell.run_cell("%unload_ext jupyter_mlops")
        RaisingShell.clear_instance()
        leaked = fluent.active_run()
        while (run := fluent.active_run()) is not None:
            run.end("killed", error="left running by a test")
            active.pop(run)
    assert leaked is None, f"the test left {leaked} active"


@pytest.fixture
def session(ip: RaisingShell) -> Any:
    """The extension's per-shell tracking state."""
    return NotebookSession.of(ip)
