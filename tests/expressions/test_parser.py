"""The one parser: the tree it builds, and the errors filters and gates now share."""

from __future__ import annotations

import pytest

from jupyter_mlops.errors import FilterSyntaxError
from jupyter_mlops.expressions import (
    And,
    Arith,
    Compare,
    Literal,
    Not,
    Or,
    Ref,
    Unary,
    parse,
    parse_filter,
    parse_gate,
)


def test_tree_keeps_what_was_typed_where() -> None:
    root = parse("not metrics.`val-loss` >= -(1 + 2) * 3", what="gate")
    assert isinstance(root, Not) and (root.start, root.end) == (0, 38)
    compare = root.operand
    assert isinstance(compare, Compare)
    assert (compare.op, compare.symbol, compare.at) == (">=", ">=", 23)
    assert compare.left == Ref(("metrics", "val-loss"), 4, 22)
    assert compare.left.text == "metrics.`val-loss`"
    product = compare.right
    assert isinstance(product, Arith) and (product.op, product.at) == ("*", 35)
    sign = product.left
    assert isinstance(sign, Unary) and sign.op == "-"
    # A parenthesised operand spans its parentheses, so messages quote what was typed.
    assert isinstance(sign.operand, Arith) and (sign.operand.start, sign.operand.end) == (27, 34)
    assert product.right == Literal(3, 37, 38)


@pytest.mark.parametrize(
    ("expr", "op", "right"),
    [
        ("a.b = 1", "=", 1),
        ("a.b == 1", "=", 1),
        ("a.b <> 1", "!=", 1),
        ("a.b like 'x%'", "LIKE", "x%"),
        ("a.b NOT ILIKE 'x%'", "NOT ILIKE", "x%"),
        ("a.b in (1, 'x')", "IN", (1, "x")),
        ("a.b not in (true)", "NOT IN", (True,)),
        ("a.b is null", "IS NULL", None),
        ("a.b IS NOT NULL", "IS NOT NULL", None),
    ],
)
def test_every_comparison_parses_alike_for_filters_and_gates(
    expr: str, op: str, right: object
) -> None:
    node = parse(expr, what="gate")
    assert isinstance(node, Compare) and node.op == op
    if isinstance(node.right, tuple):
        assert tuple(item.value for item in node.right) == right  # type: ignore[union-attr]
    elif node.right is None:
        assert right is None
    else:
        assert node.right.value == right  # type: ignore[union-attr]


def test_and_or_stay_flat_lists() -> None:
    root = parse(" or ".join(f"a.x{i} > {i}" for i in range(250)), what="filter")
    assert isinstance(root, Or) and len(root.operands) == 250
    root = parse("a.x > 1 and a.y > 1 and (a.z > 1 or a.w > 1)", what="filter")
    assert isinstance(root, And) and len(root.operands) == 3
    assert isinstance(root.operands[2], Or)


# Every error a filter and a gate can both make reads the same in both, but for the word
# naming what was written: the filter's wording, where the two used to differ.
SHARED_ERRORS = [
    ("metrics.x ~ 1", "Invalid {what} at position 10: unexpected character '~'"),
    ("metrics.x > 1; drop", "Invalid {what} at position 13: unexpected character ';'"),
    ("metrics.x > 1.5.3", "Invalid {what} at position 12: invalid number '1.5.3'"),
    ("metrics.x > 1abc", "Invalid {what} at position 12: invalid number '1abc'"),
    ("tags.x = 'open", "Invalid {what} at position 9: unterminated string; expected a closing '"),
    ('tags.x = "open', 'Invalid {what} at position 9: unterminated string; expected a closing "'),
    ("metrics.`x > 1", "Invalid {what} at position 8: unterminated string; expected a closing `"),
    (
        "metrics.`` > 1",
        "Invalid {what} at position 8: expected a key between the quotes, found none",
    ),
    (
        "metrics. > 1",
        "Invalid {what} at position 8: expected a key after 'metrics.', found a space",
    ),
    (
        "metrics.",
        "Invalid {what} at position 8: expected a key after 'metrics.', "
        "found the end of the {what}",
    ),
    (
        "(metrics.x > 1",
        "Invalid {what} at position 14: expected ')' to close the '(' at position 0, "
        "found the end of the {what}",
    ),
    (
        "metrics.x > 1)",
        "Invalid {what} at position 13: expected 'and', 'or' or the end of the {what}, found ')'",
    ),
    (
        "metrics.x > 1 tags.y = 'z'",
        "Invalid {what} at position 14: expected 'and', 'or' or the end of the {what}, "
        "found 'tags.y'",
    ),
    (
        "metrics.x auc2 > 1",
        "Invalid {what} at position 10: expected a comparison operator after 'metrics.x', "
        "found 'auc2'",
    ),
    (
        "metrics.x",
        "Invalid {what} at position 0: 'metrics.x' is a value, not a condition; "
        "compare it, e.g. metrics.roc_auc >= 0.85",
    ),
    (
        "metrics.x > 1 and tags.y",
        "Invalid {what} at position 18: 'tags.y' is a value, not a condition; "
        "compare it, e.g. metrics.roc_auc >= 0.85",
    ),
    (
        "not metrics.x",
        "Invalid {what} at position 4: 'metrics.x' is a value, not a condition; "
        "compare it, e.g. metrics.roc_auc >= 0.85",
    ),
    (
        "0 < metrics.x < 1",
        "Invalid {what} at position 14: comparisons do not chain; "
        "join them with 'and' (a < b and b < c)",
    ),
    (
        "(metrics.x > 1) = true",
        "Invalid {what} at position 0: '(metrics.x > 1)' is a condition where a value is expected",
    ),
    (
        "metrics.x is 1",
        "Invalid {what} at position 13: expected NULL or NOT NULL after 'metrics.x IS', found '1'",
    ),
    (
        "metrics.x not > 1",
        "Invalid {what} at position 14: expected IN, LIKE or ILIKE after 'metrics.x NOT', "
        "found '>'",
    ),
    (
        "metrics.x in 1",
        "Invalid {what} at position 13: expected '(' after 'metrics.x IN', found '1'",
    ),
    (
        "metrics.x not in (1 2)",
        "Invalid {what} at position 20: expected ',' or ')' in the IN list, found '2'",
    ),
]


@pytest.mark.parametrize(("expr", "message"), SHARED_ERRORS)
def test_filters_and_gates_share_their_errors(expr: str, message: str) -> None:
    for what, parse_one in (("filter", parse_filter), ("gate", parse_gate)):
        with pytest.raises(FilterSyntaxError) as info:
            parse_one(expr)
        assert str(info.value) == message.format(what=what)
        assert info.value.expression == expr  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("expr", "filter_message", "gate_message"),
    [
        # Where an operand is missing, a filter names the type its key takes; a gate cannot.
        (
            "metrics.x >",
            "expected a number after 'metrics.x >', found the end of the filter",
            "expected a number, a string, a reference such as metrics.roc_auc, or '(', "
            "found the end of the gate",
        ),
        (
            "params.C in ()",
            "expected a string in the IN list of 'params.C', found ')'",
            "expected a number, a string, a reference such as metrics.roc_auc, or '(', found ')'",
        ),
        (
            "metrics.x > 1 and",
            "expected a metric, param, tag or attribute name, found the end of the filter",
            "expected a number, a string, a reference such as metrics.roc_auc, or '(', "
            "found the end of the gate",
        ),
    ],
)
def test_a_missing_operand_is_named_by_what_each_expects(
    expr: str, filter_message: str, gate_message: str
) -> None:
    with pytest.raises(FilterSyntaxError, match=r"^Invalid filter at position \d+: ") as info:
        parse_filter(expr)
    assert str(info.value).endswith(filter_message)
    with pytest.raises(FilterSyntaxError, match=r"^Invalid gate at position \d+: ") as info:
        parse_gate(expr)
    assert str(info.value).endswith(gate_message)


@pytest.mark.parametrize(
    "expr",
    [
        'tags.`owner name` = "it\'s"',
        "tags.\"owner name\" = 'it''s'",
        "tags.`owner name` = 'it''s'",
    ],
)
def test_filters_and_gates_share_their_quoting(expr: str) -> None:
    (condition,) = [parse_filter(expr)]
    assert condition is not None
    assert (condition.key, condition.value) == ("owner name", "it's")  # type: ignore[union-attr]
    gate = parse_gate(expr)
    assert [ref.parts for ref in gate.references] == [("tags", "owner name")]
    assert isinstance(gate.root, Compare) and gate.root.right == Literal("it's", 20, len(expr))


def test_arithmetic_is_for_gates() -> None:
    assert isinstance(parse_gate("metrics.x - 1 > 0").root, Compare)
    for expr, pos in (("metrics.x - 1 > 0", 10), ("metrics.x > 2 * 0.4", 14)):
        with pytest.raises(FilterSyntaxError) as info:
            parse_filter(expr)
        assert str(info.value) == (
            f"Invalid filter at position {pos}: arithmetic (+ - * /) is for gates; "
            "a filter compares a key with a value"
        )


def test_a_filter_compares_a_name_with_values() -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter("0.5 < metrics.x")
    assert str(info.value) == (
        "Invalid filter at position 0: expected a metric, param, tag or attribute name, found '0.5'"
    )
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter("true")
    assert str(info.value) == (
        "Invalid filter at position 0: expected a metric, param, tag or attribute name, "
        "found 'true'"
    )


@pytest.mark.parametrize("parse_one", [parse_filter, parse_gate])
def test_an_expression_must_be_text(parse_one: object) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_one(123)  # type: ignore[operator]
    what = "filter" if parse_one is parse_filter else "gate"
    assert str(info.value) == f"A {what} must be a string expression, not int."
