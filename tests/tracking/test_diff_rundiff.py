"""Diffing two runs' records: cells aligned by content, params, metrics, data, environment."""

from __future__ import annotations

import json
import math

import pytest

from jupyter_mlops.tracking.rundiff import (
    MAX_DIFF_LINES,
    Cell,
    DataLink,
    align,
    data_moves,
    environment_changes,
    headline,
    input_moves,
    metric_moves,
    param_changes,
    session_cells,
)


def cells(*sources: str) -> list[Cell]:
    return [Cell(i, i, source, "ok") for i, source in enumerate(sources, start=1)]


def test_an_edited_cell_pairs_with_its_old_self_and_unchanged_ones_collapse() -> None:
    a = cells("import x", "load()", "C = 0.5", "fit(C)", "report()")
    b = cells("import x", "load()", "C = 1.0", "fit(C)", "report()")
    blocks = align(a, b)
    assert [(blk.change, len(blk.a), len(blk.b)) for blk in blocks] == [
        ("same", 2, 2),
        ("changed", 1, 1),
        ("same", 2, 2),
    ]
    assert blocks[1].diff == [
        "--- a/cell 3",
        "+++ b/cell 3",
        "@@ -1 +1 @@",
        "-C = 0.5",
        "+C = 1.0",
    ]


def test_inserted_and_deleted_cells_keep_the_rest_aligned() -> None:
    a = cells("a = 1", "old = 2", "fit()")
    b = cells("a = 1", "fit()", "new = 3\nnew += 1")
    blocks = align(a, b)
    assert [(blk.change, blk.diff) for blk in blocks] == [
        ("same", []),
        ("removed", ["-old = 2"]),
        ("same", []),
        ("added", ["+new = 3", "+new += 1"]),
    ]
    assert [c.position for c in blocks[2].a] == [3] and [c.position for c in blocks[2].b] == [2]


def test_trailing_spaces_and_blank_edges_do_not_count_as_edits() -> None:
    assert align(cells("x = 1  \n\n"), cells("\nx = 1"))[0].change == "same"


def test_a_huge_cell_diff_is_cut_and_says_how_much_more() -> None:
    big = "\n".join(f"line {i}" for i in range(MAX_DIFF_LINES + 50))
    [block] = align([], cells(big))
    assert len(block.diff) == MAX_DIFF_LINES + 1
    assert block.diff[-1] == "... 50 more lines"


def test_a_session_log_gives_its_cells_and_whether_it_was_truncated() -> None:
    log = {
        "version": 1,
        "truncated": True,
        "cells": [
            {"execution_count": 3, "source": "a = 1", "digest": "x", "status": "ok"},
            {"execution_count": 4, "source": "b = a", "digest": "y", "status": "failed"},
        ],
    }
    found = session_cells(json.dumps(log).encode())
    assert found == ([Cell(1, 3, "a = 1", "ok"), Cell(2, 4, "b = a", "failed")], True)
    assert session_cells(b"not json") is None
    assert session_cells(b'{"cells": [{"no": "source"}]}') is None


def test_params_added_removed_and_changed_by_key() -> None:
    found = param_changes(
        {"C": "0.5", "tol": "1e-3", "same": "1"}, {"C": "1.0", "new": "x", "same": "1"}
    )
    assert [(p.key, p.change, p.a, p.b) for p in found] == [
        ("C", "changed", "0.5", "1.0"),
        ("new", "added", None, "x"),
        ("tol", "removed", "1e-3", None),
    ]


def test_metrics_sorted_by_largest_relative_change() -> None:
    found = metric_moves(
        {"auc": 0.9, "loss": 0.5, "flat": 1.0, "gone": 1.0, "zero": 0.0, "nan": math.nan},
        {"auc": 0.8, "loss": 0.25, "flat": 1.0, "zero": 2.0, "nan": 1.0, "new": 3.0},
    )
    assert [m.key for m in found] == ["loss", "auc", "zero", "flat", "gone", "nan", "new"]
    loss, auc = found[0], found[1]
    assert (loss.delta, loss.relative) == (-0.25, -0.5)
    assert auc.relative == pytest.approx(-0.1 / 0.9)
    zero = found[2]
    assert (zero.delta, zero.relative) == (2.0, None)  # from zero: no relative change


def test_datasets_match_by_name_role_and_direction() -> None:
    def link(name: str, version: int, role: str = "training") -> DataLink:
        return DataLink(
            name, role, "input", version, f"dataset:{name}@{version}", f"d{name}{version}"
        )

    found = data_moves(
        [link("churn", 3), link("stable", 1), link("old", 1)],
        [link("churn", 4), link("stable", 1), link("new", 2)],
    )
    assert [(m.dataset, m.change) for m in found] == [
        ("churn", "changed"),
        ("new", "added"),
        ("old", "removed"),
        ("stable", "same"),
    ]


def test_only_inputs_that_differ_are_listed() -> None:
    a = [("training", "frame", "X", "d1"), ("evaluation", "frame", "X_test", "d2")]
    b = [("training", "frame", "X", "d9"), ("evaluation", "frame", "X_test", "d2")]
    [move] = input_moves(a, b)
    assert (move.source, move.change, move.a, move.b) == ("X", "changed", "d1", "d9")


def test_environment_lists_only_what_differs() -> None:
    a = {
        "python": "3.11.4",
        "platform": "Linux",
        "host": "alpha",
        "packages": {"numpy": "1.26.0", "pandas": "2.2.0"},
        "git_commit": "abc1234567",
        "git_branch": "main",
        "git_dirty": False,
    }
    b = {
        **a,
        "host": "beta",
        "packages": {"numpy": "2.0.0", "pandas": "2.2.0", "xgboost": "2.1"},
        "git_dirty": True,
    }
    assert environment_changes(a, b) == [
        ("package numpy", "1.26.0", "2.0.0"),
        ("package xgboost", None, "2.1"),
        ("git dirty", "no", "yes"),
    ]


def test_the_headline_names_the_metric_move_and_its_causes() -> None:
    metrics = metric_moves({"auc": 0.91}, {"auc": 0.87})
    params = param_changes({"C": "0.5", "p": "l1"}, {"C": "1.0", "p": "l2"})
    link = DataLink("churn", "training", "input", 3, "dataset:churn@3", "x")
    later = DataLink("churn", "training", "input", 4, "dataset:churn@4", "y")
    blocks = align(cells("a", "b = 1", "c"), cells("a", "b = 2", "c"))
    env = [("python", "3.11.4", "3.12.1"), ("package alembic", "1.13", None)]
    line = headline(
        metrics=metrics,
        params=params,
        datasets=data_moves([link], [later]),
        inputs=[],
        blocks=blocks,
        environment=env,
    )
    assert line == (
        "auc 0.91→0.87 (-4.4%): 2 params changed (C 0.5→1.0, p l1→l2), "
        "dataset churn v3→v4, 1 cell edited, Python 3.11.4→3.12.1"
    )


def test_the_headline_names_package_version_changes_only() -> None:
    env = [
        ("package numpy", "1.26.0", "2.0.0"),
        ("package scipy", "1.13.0", "1.14.0"),
        ("package torch", "2.3", "2.4"),
        ("package mako", None, "1.3"),
    ]
    line = headline(metrics=[], params=[], datasets=[], inputs=[], blocks=[], environment=env)
    assert line == "3 packages changed (numpy 1.26.0→2.0.0, scipy 1.13.0→1.14.0, +1 more)"


def test_a_headline_with_nothing_recorded_differing_says_so() -> None:
    same = metric_moves({"auc": 0.9}, {"auc": 0.9})
    line = headline(metrics=same, params=[], datasets=[], inputs=[], blocks=[], environment=[])
    assert line == "metrics unchanged: nothing recorded differs (params, data, code, environment)"
    bare = headline(metrics=[], params=[], datasets=[], inputs=[], blocks=[], environment=[])
    assert bare == "Nothing recorded differs (params, data, code, environment)"
