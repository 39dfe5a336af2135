"""Limits: a hostile expression is one clear line through every face, never a traceback.

A deeply nested or very long filter or gate is refused by the parser (depth, length and
number of terms) before any recursion runs deep and before the database sees it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.cli import main
from jupyter_mlops.errors import FilterSyntaxError
from jupyter_mlops.expressions import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_TERMS,
    evaluate,
    parse_filter,
    parse_gate,
)
from jupyter_mlops.store import Store

DEPTH = "more than 20 nested parentheses, 'not's and signs; write the {what} with fewer levels"
TERMS = "more than 500 names and values; write a shorter {what}"

HOSTILE = [
    pytest.param(
        "(" * 2000 + "metrics.auc > 1" + ")" * 2000,
        f"Invalid {{what}} at position 20: {DEPTH}",
        id="2000 parentheses",
    ),
    pytest.param(
        "not " * 2000 + "metrics.auc > 1",
        f"Invalid {{what}} at position 80: {DEPTH}",
        id="2000 nots",
    ),
    pytest.param(
        "metrics.auc > " + "-" * 2000 + "1",
        f"Invalid {{what}} at position 34: {DEPTH}",
        id="2000 signs",
    ),
    pytest.param(
        "not (" * 11 + "metrics.auc > 1" + ")" * 11,
        f"Invalid {{what}} at position 50: {DEPTH}",
        id="11 nots of parentheses",
    ),
    pytest.param(
        " or ".join(["metrics.auc > 1"] * 2000),
        "Invalid {what} at position 10000: the {what} is 37,996 characters long, over the limit "
        "of 10,000; write a shorter {what}",
        id="2000 ors",
    ),
    pytest.param(
        " or ".join(["metrics.auc > 1"] * 300),
        f"Invalid {{what}} at position 4750: {TERMS}",
        id="300 ors",
    ),
    pytest.param(
        "metrics.auc in (" + ", ".join(["1"] * 600) + ")",
        f"Invalid {{what}} at position 1513: {TERMS}",
        id="600 listed values",
    ),
    pytest.param(
        "tags.note = '" + "x" * 1_000_000 + "'",
        "Invalid {what} at position 10000: the {what} is 1,000,014 characters long, over the "
        "limit of 10,000; write a shorter {what}",
        id="a 1 MB string",
    ),
]


@pytest.mark.parametrize(("expr", "message"), HOSTILE)
def test_hostile_filters_and_gates_are_refused_alike(expr: str, message: str) -> None:
    for what, parse_one in (("filter", parse_filter), ("gate", parse_gate)):
        with pytest.raises(FilterSyntaxError) as info:
            parse_one(expr)
        assert str(info.value) == message.format(what=what)
    result = evaluate(expr, {"metrics": {"auc": 0.5}, "tags": {"note": "x"}})
    assert (result.status, result.error) == ("error", message.format(what="gate"))


@pytest.mark.parametrize(
    "expr",
    [
        "(" * MAX_DEPTH + "metrics.auc > 1" + ")" * MAX_DEPTH,
        "not " * MAX_DEPTH + "metrics.auc > 1",
        "not (" * (MAX_DEPTH // 2) + "metrics.auc > 1" + ")" * (MAX_DEPTH // 2),
        " or ".join(["metrics.auc > 1"] * (MAX_TERMS // 2)),
        "tags.note = '" + "x" * (MAX_LENGTH - 14) + "'",
    ],
)
def test_expressions_at_the_limits_are_accepted(expr: str) -> None:
    assert parse_filter(expr) is not None
    result = evaluate(expr, {"metrics": {"auc": 0.5}, "tags": {"note": "x"}})
    assert result.error is None, result.message


def test_a_gate_may_stack_signs_up_to_the_limit() -> None:
    result = evaluate("metrics.auc < " + "-" * MAX_DEPTH + "1", {"metrics": {"auc": 0.5}})
    assert result.passed, result.message


@pytest.mark.parametrize(("expr", "message"), HOSTILE)
def test_through_the_python_api(store: Store, expr: str, message: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        mlops.search_runs(expr, store=store)
    assert str(info.value) == message.format(what="filter")


@pytest.mark.parametrize(("expr", "message"), HOSTILE)
def test_through_the_command_line(
    store_dir: Path, capsys: pytest.CaptureFixture[str], expr: str, message: str
) -> None:
    code = main(["runs", "--filter", expr])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        f"jupyter-mlops: error: {message.format(what='filter')}; see `jupyter-mlops runs --help`.\n"
    )


@pytest.mark.parametrize(("expr", "message"), HOSTILE)
def test_through_a_promotion_gate(
    store_dir: Path, capsys: pytest.CaptureFixture[str], expr: str, message: str
) -> None:
    # A check is read before the registry: no model is needed to refuse it.
    code = main(["promote", "churn", "1", "--to", "production", "--check", expr])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        f"jupyter-mlops: error: {message.format(what='gate')}; "
        "see `jupyter-mlops promote --help`.\n"
    )
