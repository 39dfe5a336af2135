"""KEY=VALUE: split once, typed by the target, and written back as text that reads the same."""

from __future__ import annotations

import math
from typing import Any

import pytest

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.keyvalue import UNTYPED, split, text, typed


@pytest.mark.parametrize(
    ("given", "like", "expected"),
    [
        # a notebook parameter: the default's type
        ("true", False, True),
        ("True", False, True),
        ("no", True, False),
        ("true", "s", "true"),
        ("True", "s", "True"),
        ("1", 0.5, 1.0),
        ("0.5", 1.0, 0.5),
        ("3", 1, 3),
        ('["a", "b"]', ["x"], ["a", "b"]),
        ("[a, b]", ["x"], ["a", "b"]),
        ("{k: 1}", {}, {"k": 1}),
        # no declared type: JSON, then Python's True/False/None, else the text
        ("true", UNTYPED, True),
        ("True", UNTYPED, True),
        ("None", UNTYPED, None),
        ("0.5", UNTYPED, 0.5),
        ('"quoted"', UNTYPED, "quoted"),
        ("plain text", UNTYPED, "plain text"),
        # a value that is not text (a JSON body) is checked, not read
        (True, False, True),
        (1, 0.5, 1.0),
        ([1, 2], [], [1, 2]),
        ("a", "s", "a"),
    ],
)
def test_typed_by_the_target(given: Any, like: Any, expected: Any) -> None:
    value = typed(given, like)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("given", "like", "message"),
    [
        ("abc", 1.0, "expected a number, not 'abc'"),
        ("0.5", 1, "expected a whole number, not '0.5'"),
        ("maybe", True, "expected true or false, not 'maybe'"),
        ("3", [], "expected a list (JSON, e.g. [1, 2]), not '3'"),
        (True, 1, "expected a whole number, not True"),
        (0.5, "s", "expected a str, not 0.5"),
        (1, True, "expected true or false, not 1"),
    ],
)
def test_a_value_that_does_not_fit_is_refused(given: Any, like: Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        typed(given, like)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("value", "like"),
    [
        (True, False),
        (True, UNTYPED),
        ("true", "s"),
        ("true", UNTYPED),  # a JSON string that spells a literal stays a string
        ("None", UNTYPED),
        ("hi there", UNTYPED),
        (0.5, 1.0),
        (3, 1),
        (["a", 1], []),
        ({"k": [1]}, {}),
        (None, UNTYPED),
        (math.inf, 1.0),
    ],
)
def test_text_reads_back_as_the_value(value: Any, like: Any) -> None:
    assert typed(text(value, like), like) == value


def test_nan_reads_back_as_nan() -> None:
    assert math.isnan(typed(text(math.nan, 1.0), 1.0))


@pytest.mark.parametrize(
    ("given", "expected"), [("C=0.5", ("C", "0.5")), (" a =b=c", ("a", "b=c"))]
)
def test_split(given: str, expected: tuple[str, str]) -> None:
    assert split(given) == expected


@pytest.mark.parametrize("given", ["C", "=1", " =1"])
def test_split_refuses_a_pair_without_a_key(given: str) -> None:
    with pytest.raises(MlopsUsageError, match="expected KEY=VALUE"):
        split(given)
