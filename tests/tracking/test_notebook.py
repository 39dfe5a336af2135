"""The notebook session: one per shell, found from the shell, recording cells into a run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

import jupyter_mlops as mlops
from jupyter_mlops.store import Store
from jupyter_mlops.tracking.notebook import NotebookSession, format_error


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    try:
        yield shell
    finally:
        InteractiveShell.clear_instance()


def test_the_extension_registers_the_session_of_its_shell(shell: InteractiveShell) -> None:
    assert NotebookSession.of(shell) is None
    shell.run_cell("%load_ext jupyter_mlops")
    first = NotebookSession.of(shell)
    assert first is not None and first.shell is shell
    shell.run_cell("%reload_ext jupyter_mlops")  # a new session replaces the first
    second = NotebookSession.of(shell)
    assert second is not None and second is not first
    assert first.pre_run_cell not in shell.events.callbacks["pre_run_cell"]
    shell.run_cell("%unload_ext jupyter_mlops")
    assert NotebookSession.of(shell) is None
    assert second.pre_run_cell not in shell.events.callbacks["pre_run_cell"]


def test_a_registered_session_records_cells_into_its_line_run(
    shell: InteractiveShell, store: Store
) -> None:
    session = NotebookSession(shell)
    session.register()
    try:
        run = mlops.start_run("lines", store=store)
        session.start_line_run(run, autolog=False)
        shell.run_cell("a = 1")
        shell.run_cell("1 / 0")
        assert session.stop_line_run() is run
    finally:
        session.unregister()
    assert NotebookSession.of(shell) is None
    record = mlops.get_run(run.id, store=store)
    assert record.status == "finished"
    assert [(c.source, c.status) for c in record.cells] == [("a = 1", "ok"), ("1 / 0", "failed")]
    assert record.cells[1].error.rstrip().endswith("ZeroDivisionError: division by zero")


def _user_code() -> None:
    raise ValueError("theirs")


def _caught_in_package(body: str) -> BaseException:
    """An error caught by code that looks like ours (compiled under the package folder)."""
    code = f"try:\n    {body}\nexcept ValueError as exc:\n    caught = exc\n"
    namespace: dict[str, object] = {"user_code": _user_code}
    exec(compile(code, str(Path(mlops.__file__).parent / "_cell.py"), "exec"), namespace)
    error = namespace["caught"]
    assert isinstance(error, ValueError)
    return error


def test_format_error_starts_at_the_users_code() -> None:
    assert format_error(None) is None
    text = format_error(_caught_in_package("user_code()"))
    assert text is not None and text.startswith("Traceback (most recent call last):")
    assert "_user_code" in text and text.rstrip().endswith("ValueError: theirs")
    assert "jupyter_mlops" not in text


def test_format_error_keeps_the_whole_traceback_of_an_error_of_ours() -> None:
    text = format_error(_caught_in_package("raise ValueError('ours')"))
    assert text is not None and "_cell.py" in text
    assert text.rstrip().endswith("ValueError: ours")
