"""The session's cell log: the names a cell defines and uses, the bound, the stored form."""

from __future__ import annotations

import json

import blake3
import pytest

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.tracking.session_log import (
    CellLog,
    SessionCell,
    names_defined_used,
    parse,
)

NAMES = [
    ("x = x + 1", {"x"}, {"x"}),
    ("x = 1\ny = x", {"x", "y"}, set()),
    ("tot += i", {"tot"}, {"tot", "i"}),
    ("a, (b, *c) = pairs", {"a", "b", "c"}, {"pairs"}),
    ("n: int = 5", {"n"}, {"int"}),
    ("import a.b as c, d.e\nfrom m import k as kk, j", {"c", "d", "kk", "j"}, set()),
    ("from m import *", set(), set()),
    ("def f(a, b=B):\n    return a + C + g()\ndef g():\n    pass", {"f", "g"}, {"B", "C"}),
    (
        "class K(Base):\n    z = 1\n    w = z + q\n    def m(self):\n        return G",
        {"K"},
        {
            "Base",
            "q",
            "G",
        },
    ),
    ("for i in range(n):\n    last = i", {"i", "last"}, {"range", "n"}),
    ("with open(p) as fh:\n    data = fh.read()", {"fh", "data"}, {"open", "p"}),
    ("if (m := pat.match(s)):\n    hit = m", {"m", "hit"}, {"pat", "s"}),
    ("del X", {"X"}, set()),
    ("X[0] = 1\nobj.attr = Y", {"X", "obj"}, {"X", "obj", "Y"}),
    ("[v for v in vals if v > lim]", set(), {"vals", "lim"}),
    ("{k: w for k, w in d.items()}", set(), {"d"}),
    ("f = lambda t: t + Q", {"f"}, {"Q"}),
    ("try:\n    r = go()\nexcept E as err:\n    r = err", {"r", "err"}, {"go", "E"}),
    (
        "match p:\n    case [h, *rest] if h > lim:\n        out = rest",
        {"h", "rest", "out"},
        {
            "p",
            "lim",
        },
    ),
    # IPython syntax: magics and shell lines are transformed first, never an error.
    ("%matplotlib inline\nimport numpy as np\nX = np.ones(3)", {"np", "X"}, set()),
    ("!pip list\nfiles = !ls\nn = len(files)", {"files", "n"}, {"len"}),
    ("%time half = pi / 2\n%timeit twice = 2 * half", {"half"}, {"pi"}),
    ("%%mlops track fit --tag a=b\nmodel = Fit(C=C).fit(X, y)", {"model"}, {"Fit", "C", "X", "y"}),
    ("%%time\nz = slow(w)", {"z"}, {"slow", "w"}),
    ("%%bash\necho $X", set(), set()),
    ("len?", set(), set()),
    ("def broken(:\n    pass", set(), set()),
    ("x = 'unterminated", set(), set()),
    ("", set(), set()),
]


@pytest.mark.parametrize(("source", "defines", "uses"), NAMES)
def test_names_a_cell_defines_and_uses(source: str, defines: set[str], uses: set[str]) -> None:
    assert names_defined_used(source) == (defines, uses)


def test_an_executed_cell_carries_its_digest_and_names() -> None:
    source = "%%mlops track\nauc = score(model, X)"
    cell = SessionCell.executed(source, execution_count=7, started=1.5)
    assert cell.digest == blake3.blake3(cell.source.encode()).hexdigest()
    assert (cell.defines, cell.uses) == ({"auc"}, {"score", "model", "X"})
    assert (cell.label, cell.code) == ("[7]", "auc = score(model, X)")


def _cells(n: int) -> CellLog:
    log = CellLog()
    for i in range(n):
        log.append(SessionCell.executed(f"v{i} = {i}", execution_count=i + 1, started=float(i)))
    return log


def test_the_log_keeps_the_last_500_cells_and_says_it_dropped_older_ones() -> None:
    log = _cells(600)
    last = log.last
    assert last is not None
    last.run_id = "r1"
    stored = parse(log.payload("r1"))
    assert (len(stored.cells), stored.truncated, stored.dropped) == (500, True, 100)
    assert stored.cells[0].source == "v100 = 100"
    assert [c.source for c in stored.tracked] == ["v599 = 599"]


def test_the_log_is_bounded_by_source_size_too() -> None:
    log = CellLog(max_bytes=1000)
    for i in range(30):
        source = f"x = '{'a' * 90}'  # {i:02}"
        log.append(SessionCell.executed(source, execution_count=i, started=0))
    stored = parse(log.payload("none"))
    assert stored.truncated and stored.dropped == 21
    assert sum(len(c.source) for c in stored.cells) <= 1000


def test_a_small_log_is_not_truncated_and_round_trips() -> None:
    log = _cells(3)
    cell = log.last
    assert cell is not None
    cell.status = "failed"
    data = json.loads(log.payload("r"))
    assert (data["version"], data["truncated"]) == (1, False)
    assert data["cells"][2] == {
        "execution_count": 3,
        "source": "v2 = 2",
        "digest": blake3.blake3(b"v2 = 2").hexdigest(),
        "started": 2.0,
        "status": "failed",
        "defines": ["v2"],
        "uses": [],
        "tracked": False,
    }
    assert parse(log.payload("r")).cells == tuple(log)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not json", "Not a session log"),
        (b'{"version": 1}', "Not a session log"),
        (b'{"version": 2, "cells": []}', "upgrade jupyter-mlops"),
    ],
)
def test_parse_refuses_what_is_not_a_session_log(payload: bytes, message: str) -> None:
    with pytest.raises(MlopsUsageError, match=message):
        parse(payload)
