"""Hidden-state detection on a session's cells and the saved notebook (the rules, in-process).

The same cases in real kernels are in test_hidden_state_kernel.py.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.tracking.hidden_state import (
    TAG,
    HiddenStateWarning,
    NotebookCells,
    check_registration,
    describe,
    detect,
    read_notebook,
)
from jupyter_mlops.tracking.session_log import SessionCell
from tests.tracking._kernel import save_notebook

LOAD = "X = load()"
TRAIN = "%%mlops track\nmodel = fit(X)"
SHRINK = "X = X[:5]"


def session(*sources: str) -> list[SessionCell]:
    """The cells executed, in order, counted from [1]; each started at its count."""
    return [
        SessionCell.executed(s, execution_count=i, started=float(i))
        for i, s in enumerate(sources, start=1)
    ]


def notebook(*sources: str, counts: list[int | None] | None = None, saved: float = 100.0):
    codes = tuple(s.removeprefix("%%mlops track\n").strip() for s in sources)
    return NotebookCells(codes, tuple(counts or [None] * len(codes)), saved)


def texts(cells: list[SessionCell], nb: NotebookCells | None) -> str:
    *earlier, current = cells
    return describe(detect(earlier, current, nb))


def test_a_session_run_in_order_relies_on_nothing_hidden() -> None:
    assert texts(session(LOAD, TRAIN), None) == ""
    assert texts(session(LOAD, TRAIN), notebook(LOAD, TRAIN)) == ""


def test_a_cell_redefining_the_name_after_this_cell_used_it_is_out_of_order() -> None:
    cells = session(LOAD, TRAIN, SHRINK, TRAIN)
    assert texts(cells, None) == (
        "X comes from cell [3], which ran after this cell's earlier run [2] used X"
    )


def test_the_saved_notebook_decides_when_it_holds_both_cells() -> None:
    cells = session(LOAD, TRAIN, SHRINK, TRAIN)
    # SHRINK above the training cell: the notebook top to bottom gives the same X.
    assert texts(cells, notebook(LOAD, SHRINK, TRAIN)) == ""
    # SHRINK below it: top to bottom would train on the unshrunk X.
    assert texts(cells, notebook(LOAD, TRAIN, SHRINK)) == (
        "X comes from cell [3], which is below this cell in the notebook"
    )


def test_a_defining_cell_deleted_or_edited_since_it_ran() -> None:
    cells = session(LOAD, TRAIN)
    assert texts(cells, notebook(TRAIN, counts=[None])) == (
        "X comes from cell [1], which is not in the notebook"
    )
    edited = notebook("X = load_other()", TRAIN, counts=[1, None])
    assert texts(cells, edited) == "X comes from cell [1], which was edited since it ran"


def test_a_cell_run_after_the_last_save_is_not_judged_by_the_file() -> None:
    cells = session(LOAD, TRAIN)
    assert texts(cells, notebook(TRAIN, saved=0.5)) == ""


def test_only_the_latest_definition_counts_and_names_are_reported_in_order() -> None:
    cells = session("X = 1\nb = 2", "a = 1", TRAIN + " + a + b", "X = 3\na = 4", TRAIN + " + a + b")
    assert texts(cells, None) == (
        "X comes from cell [4], which ran after this cell's earlier run [3] used X; "
        "a comes from cell [4], which ran after this cell's earlier run [3] used a"
    )


def test_read_notebook_reads_code_cells_and_skips_what_is_not_a_notebook(tmp_path: Path) -> None:
    path = save_notebook(tmp_path / "n.ipynb", [(LOAD, 1), (TRAIN, 2)])
    cells = read_notebook(path)
    assert cells is not None
    assert (cells.codes, cells.counts) == ((LOAD, "model = fit(X)"), (1, 2))
    assert read_notebook(tmp_path / "missing.ipynb") is None
    (tmp_path / "bad.ipynb").write_text("{")
    assert read_notebook(tmp_path / "bad.ipynb") is None
    assert read_notebook(None) is None


def test_registering_warns_or_refuses_by_the_setting() -> None:
    tags = {TAG: "X comes from cell [3], which is below this cell in the notebook"}
    with pytest.warns(HiddenStateWarning, match=r"Run r1 relied on hidden notebook state \(X "):
        check_registration("r1", tags, policy="warn")
    with pytest.raises(MlopsUsageError, match=r'hidden_state = "refuse"'):
        check_registration("r1", tags, policy="refuse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_registration("r1", tags, policy="ignore")
        check_registration("r1", {}, policy="refuse")


def test_the_receipt_shows_hidden_state_in_text_and_html(ip) -> None:
    ip.run("X = [1, 2, 3]")
    ip.run("%%mlops track first\nn = len(X)")
    ip.run("X = X[:1]")
    tracked = ip.run("%%mlops track second\nn = len(X)")
    [bundle] = tracked.displays
    line = "X comes from cell [4], which ran after this cell's earlier run [3] used X"
    assert bundle["text/plain"].splitlines()[1] == f"⚠ hidden state: {line}"
    assert f"<div class='mlops-hidden-state' style='color:#b26a00'>⚠ hidden state: {line}" in (
        bundle["text/html"].replace("&#x27;", "'")
    )
    [first] = ip.run("%%mlops track third\nm = len(X)").displays
    assert "hidden state" not in first["text/plain"] + first["text/html"]
