"""The slice: which recorded cells a reproduction executes, read with ast only."""

from __future__ import annotations

import pytest

from jupyter_mlops.reproduction.cells import read_cell, runnable
from jupyter_mlops.reproduction.slicing import (
    RecordedCell,
    build_slice,
    merge,
    session_cells,
)


@pytest.mark.parametrize(
    ("source", "defines", "uses", "effects"),
    [
        ("x = 1", {"x"}, set(), False),
        ("import numpy as np", {"np"}, set(), False),
        ("from a.b import c", {"c"}, set(), False),
        ("model.fit(X, y)", {"model"}, {"model", "X", "y"}, False),
        ("df['z'] = df.x * 2", {"df"}, {"df"}, False),
        ("def f(a):\n    return a + k", {"f"}, {"a", "k"}, False),
        ("set_seed(0)", set(), {"set_seed"}, True),
        ("print(x)", set(), {"print", "x"}, False),
        ("y = make(3)", {"y"}, {"make"}, False),
        ("!pip install x", set(), {"get_ipython"}, True),
        ("from m import *", set(), set(), True),
        ("total += n", {"total"}, {"total", "n"}, False),
    ],
)
def test_what_a_cell_defines_and_uses(source, defines, uses, effects) -> None:
    code = read_cell(source)
    assert (set(code.defines), set(code.uses), code.effects) == (defines, uses, effects)


def test_tracking_magics_are_dropped_from_the_code() -> None:
    assert runnable("%%mlops track demo --tag a=b\nmodel = f()") == "model = f()"
    assert runnable("%load_ext jupyter_mlops\n%mlops track x\nimport os") == "import os"


def _cells(*sources: str, tracked: int = 1) -> list[RecordedCell]:
    n = len(sources)
    return [RecordedCell(i + 1, s, i >= n - tracked) for i, s in enumerate(sources)]


def test_backward_slice_keeps_what_the_tracked_cell_needs_in_order() -> None:
    cells = _cells(
        "import pandas as pd",
        "df = pd.read_csv('d.csv')",
        "plot = df.plot()",  # kept: a method may change df, nothing can rule it out
        "rows = len(df)",
        "X = df.drop(columns=['y'])",
        "X = X.fillna(0)",
        "model = Model().fit(X, df.y)",
    )
    sliced = build_slice(cells)
    assert [c.cell.execution_count for c in sliced.kept] == [1, 2, 3, 5, 6, 7]
    assert sliced.dropped[0].why == "nothing after it uses what it defines"
    assert sliced.code()[-1] == "model = Model().fit(X, df.y)"


def test_a_redefinition_before_use_drops_the_first_definition() -> None:
    sliced = build_slice(_cells("a = 1", "a = 2", "b = a + 1\nprint(b)"))
    assert [c.cell.execution_count for c in sliced.kept] == [2, 3]


def test_cells_with_effects_are_kept_conservatively() -> None:
    sliced = build_slice(_cells("np.random.seed(0)", "set_seed(1)", "r = np.random.rand()"))
    assert [c.why for c in sliced.cells] == ["defines np", "may have effects", "tracked"]


def test_session_log_cells_come_before_the_tracked_cells_once() -> None:
    payload = (
        '{"version": 1, "truncated": true, "cells": ['
        '{"execution_count": 1, "source": "x = 1", "status": "ok", "tracked": false},'
        '{"execution_count": 2, "source": "boom()", "status": "failed", "tracked": false},'
        '{"execution_count": 3, "source": "y = x", "status": "ok", "tracked": true}]}'
    )
    before, truncated = session_cells(payload)
    tracked = [RecordedCell(3, "y = x\nprint(y)", True)]
    cells = merge(before, tracked)
    assert truncated
    assert [(c.execution_count, c.source) for c in cells] == [(1, "x = 1"), (3, "y = x\nprint(y)")]
    assert session_cells(b"not json") == ([], False)
