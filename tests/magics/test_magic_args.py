"""Parsing of %mlops arguments: tables of input → exact value."""

from __future__ import annotations

import argparse

import pytest

from jupyter_mlops.magics._args import key_value, literal, metric_pair, param_pair, split


@pytest.mark.parametrize(
    ("text", "argv"),
    [
        ("", []),
        ("a  b", ["a", "b"]),
        ('--filter "metrics.auc > 0.9"', ["--filter", "metrics.auc > 0.9"]),
        ("--filter \"params.C = '0.5'\"", ["--filter", "params.C = '0.5'"]),
        ('note="two words"', ["note=two words"]),
        (r"path=C:\data\x.csv", [r"path=C:\data\x.csv"]),
        ("a#b", ["a#b"]),
    ],
)
def test_split(text: str, argv: list[str]) -> None:
    assert split(text) == argv


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("C=0.5", ("C", "0.5")),
        ("expr=a=b", ("expr", "a=b")),
        (" k =v", ("k", "v")),
        ("empty=", ("empty", "")),
    ],
)
def test_key_value(text: str, pair: tuple[str, str]) -> None:
    assert key_value(text) == pair


@pytest.mark.parametrize("text", ["novalue", "=1", " =1", ""])
def test_key_value_rejects(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as info:
        key_value(text)
    assert str(info.value) == f"expected KEY=VALUE, got {text!r}"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.5", 0.5),
        ("3", 3),
        ("1_000", 1000),
        ("-2", -2),
        ("True", True),
        ("None", None),
        ("[1, 2]", [1, 2]),
        ("{'a': 1}", {"a": 1}),
        ("'quoted'", "quoted"),
        ("l2", "l2"),
        ("two words", "two words"),
        ("1e-3", 0.001),
        ("__import__('os')", "__import__('os')"),
        ("", ""),
    ],
)
def test_literal(text: str, value: object) -> None:
    assert literal(text) == value
    assert type(literal(text)) is type(value)


def test_param_pair() -> None:
    assert param_pair("layers=[64, 32]") == ("layers", [64, 32])


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("auc=0.93", ("auc", 0.93)),
        ("n=3", ("n", 3)),
        ("loss=-1.5e-2", ("loss", -0.015)),
        ("x=nan", ("x", float("nan"))),
    ],
)
def test_metric_pair(text: str, pair: tuple[str, float]) -> None:
    key, value = metric_pair(text)
    assert key == pair[0]
    assert type(value) is type(pair[1])
    assert value == pair[1] or (value != value and pair[1] != pair[1])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("auc=high", "the value of 'auc' must be a number, not 'high'"),
        ("auc=", "the value of 'auc' must be a number, not ''"),
        ("auc", "expected KEY=VALUE, got 'auc'"),
    ],
)
def test_metric_pair_rejects(text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as info:
        metric_pair(text)
    assert str(info.value) == message
