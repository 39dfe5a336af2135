"""The one tokenizer of filters and gates."""

from __future__ import annotations

import pytest

from jupyter_mlops.errors import FilterSyntaxError
from jupyter_mlops.expressions import tokenize


def test_tokenize_gate_expression() -> None:
    tokens = tokenize("metrics.roc_auc >= production.metrics.`roc-auc` - 0.01")
    assert [(tok.kind, tok.value) for tok in tokens] == [
        ("NAME", ("metrics", "roc_auc")),
        ("OP", ">="),
        ("NAME", ("production", "metrics", "roc-auc")),
        ("ARITH", "-"),
        ("NUMBER", 0.01),
        ("EOF", ""),
    ]
    spans = [(tok.start, tok.end) for tok in tokens]
    assert spans == [(0, 15), (16, 18), (19, 47), (48, 49), (50, 54), (54, 54)]


def test_tokenize_keywords_and_punctuation() -> None:
    tokens = tokenize("not (a.b IN (1,2)) Or x is Null * /")
    assert [tok.kind for tok in tokens] == [
        "KEYWORD",
        "LPAREN",
        "NAME",
        "KEYWORD",
        "LPAREN",
        "NUMBER",
        "COMMA",
        "NUMBER",
        "RPAREN",
        "RPAREN",
        "KEYWORD",
        "NAME",
        "KEYWORD",
        "KEYWORD",
        "ARITH",
        "ARITH",
        "EOF",
    ]
    assert [tok.value for tok in tokens if tok.kind == "KEYWORD"] == [
        "NOT",
        "IN",
        "OR",
        "IS",
        "NULL",
    ]


def test_tokenize_error_names_the_caller() -> None:
    with pytest.raises(FilterSyntaxError, match=r"^Invalid gate at position 2: unexpected"):
        tokenize("a $ b", what="gate")
