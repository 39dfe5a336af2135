"""The one parser of the expression language: tokens to a syntax tree, no ``eval``.

The parser checks the grammar, the limits (:data:`MAX_LENGTH`, :data:`MAX_DEPTH`,
:data:`MAX_TERMS`) and that conditions and values stand where each belongs. What a name
means is the evaluator's business; the parser only asks it, through :class:`Expected`, how
to say what it expected where an operand is missing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from jupyter_mlops.errors import FilterSyntaxError
from jupyter_mlops.expressions.syntax import (
    And,
    Arith,
    Compare,
    Expr,
    Literal,
    Not,
    Or,
    Ref,
    Unary,
    is_condition,
)
from jupyter_mlops.expressions.tokens import Cursor, Token, syntax_error

#: The longest expression accepted, in characters.
MAX_LENGTH = 10_000
#: The deepest nesting accepted: parentheses, ``not`` and signs, each one level.
MAX_DEPTH = 20
#: The most names and values (the leaves of the tree) an expression may hold.
MAX_TERMS = 500

#: What a gate expects wherever an operand is missing.
ANY_VALUE = "a number, a string, a reference such as metrics.roc_auc, or '('"

_COMPARE = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_NOT_A_CONDITION = "is a value, not a condition; compare it, e.g. metrics.roc_auc >= 0.85"


class Expected:
    """How error messages name a missing operand; a language with typed names overrides it.

    The default (a gate's) expects any value everywhere.
    """

    def condition(self) -> str:
        """What a condition may start with."""
        return ANY_VALUE

    def operand(self, left: Expr, lhs: str, symbol: str) -> str:
        """What may follow ``lhs symbol`` (``symbol`` is ``IN``/``NOT IN`` inside a list)."""
        return ANY_VALUE


def check_size(expr: object, what: str) -> str:
    """Return ``expr`` if it is a string no longer than :data:`MAX_LENGTH`.

    Raises:
        FilterSyntaxError: for another type or a longer string.
    """
    if not isinstance(expr, str):
        raise FilterSyntaxError(
            f"A {what} must be a string expression, not {type(expr).__name__}.",
            expression=str(expr),
        )
    if len(expr) > MAX_LENGTH:
        detail = (
            f"the {what} is {len(expr):,} characters long, over the limit of "
            f"{MAX_LENGTH:,}; write a shorter {what}"
        )
        raise syntax_error(expr, MAX_LENGTH, detail, what)
    return expr


def parse(expr: str, *, what: str, expected: Expected | None = None) -> Expr:
    """Parse ``expr`` into a syntax tree whose root is a condition.

    Args:
        expr: the expression, e.g. ``metrics.auc > 0.9 and params.C = '0.5'``.
        what: how error messages name it (``filter``, ``gate``).
        expected: how to name a missing operand (default: any value).

    Returns:
        The root of the tree.

    Raises:
        FilterSyntaxError: naming the 0-based position and what was expected there.
    """
    check_size(expr, what)
    return _Parser(expr, what, expected or Expected()).parse()


class _Parser:
    def __init__(self, expr: str, what: str, expected: Expected) -> None:
        self.cur = Cursor(expr, what)
        self.expected = expected
        self.depth = 0
        self.terms = 0

    def text(self, node: Expr) -> str:
        return self.cur.expr[node.start : node.end]

    # -- limits and placement -------------------------------------------------
    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.cur.fail(
                tok.start,
                f"more than {MAX_DEPTH} nested parentheses, 'not's and signs; "
                f"write the {self.cur.what} with fewer levels",
            )

    def require_condition(self, node: Expr) -> None:
        """Refuse a value where a condition belongs, saying what would make it one."""
        if is_condition(node):
            return
        if self.cur.at("EOF", "RPAREN") or self.cur.at_keyword("AND", "OR"):
            raise self.cur.fail(node.start, f"'{self.text(node)}' {_NOT_A_CONDITION}")
        raise self.cur.error(f"a comparison operator after '{self.text(node)}'")

    def require_value(self, node: Expr) -> None:
        if is_condition(node) and not isinstance(node, Literal):
            raise self.cur.fail(
                node.start, f"'{self.text(node)}' is a condition where a value is expected"
            )

    # -- grammar --------------------------------------------------------------
    def parse(self) -> Expr:
        node = self.or_expr()
        self.require_condition(node)
        if not self.cur.at("EOF"):
            raise self.cur.error(f"'and', 'or' or the end of the {self.cur.what}")
        return node

    def or_expr(self) -> Expr:
        return self.logic("OR", self.and_expr)

    def and_expr(self) -> Expr:
        return self.logic("AND", self.not_expr)

    def logic(self, word: str, operand: Callable[[], Expr]) -> Expr:
        """``operand (word operand)*`` as one flat And/Or: SQL nests no deeper than parentheses."""
        first = operand()
        if not self.cur.at_keyword(word):
            return first
        self.require_condition(first)
        items = [first]
        while self.cur.at_keyword(word):
            self.cur.advance()
            item = operand()
            self.require_condition(item)
            items.append(item)
        joined = And if word == "AND" else Or
        return joined(tuple(items), first.start, items[-1].end)

    def not_expr(self) -> Expr:
        if not self.cur.at_keyword("NOT"):
            return self.condition()
        tok = self.cur.advance()
        self.enter(tok)
        operand = self.not_expr()
        self.require_condition(operand)
        self.depth -= 1
        return Not(operand, tok.start, operand.end)

    def condition(self) -> Expr:
        left = self.sum(self.expected.condition)
        tok = self.cur.tok
        node: Compare
        if tok.kind == "OP":
            self.cur.advance()
            self.require_value(left)
            symbol = self.cur.expr[tok.start : tok.end]
            right = self.operand(left, symbol)
            node = Compare(_COMPARE[symbol], left, right, left.start, right.end, tok.start, symbol)
        elif tok.kind != "KEYWORD":
            return left
        elif tok.value in ("LIKE", "ILIKE", "IN"):
            node = self.keyword_condition(left, tok, "")
        elif tok.value == "NOT":
            self.cur.advance()
            if not self.cur.at_keyword("LIKE", "ILIKE", "IN"):
                raise self.cur.error(f"IN, LIKE or ILIKE after '{self.text(left)} NOT'")
            node = self.keyword_condition(left, tok, "NOT ")
        elif tok.value == "IS":
            self.cur.advance()
            self.require_value(left)
            negated = self.cur.at_keyword("NOT")
            if negated:
                self.cur.advance()
            if not self.cur.at_keyword("NULL"):
                raise self.cur.error(f"NULL or NOT NULL after '{self.text(left)} IS'")
            end = self.cur.advance().end
            op = "IS NOT NULL" if negated else "IS NULL"
            node = Compare(op, left, None, left.start, end, tok.start, op)
        else:
            return left
        if self.cur.at("OP"):
            raise self.cur.fail(
                self.cur.tok.start,
                "comparisons do not chain; join them with 'and' (a < b and b < c)",
            )
        return node

    def keyword_condition(self, left: Expr, first: Token, prefix: str) -> Compare:
        """``left [NOT] LIKE|ILIKE pattern`` or ``left [NOT] IN (a, b, ...)``."""
        op = prefix + str(self.cur.advance().value)
        self.require_value(left)
        if not op.endswith("IN"):
            pattern = self.operand(left, op)
            return Compare(op, left, pattern, left.start, pattern.end, first.start, op)
        if not self.cur.at("LPAREN"):
            raise self.cur.error(f"'(' after '{self.text(left)} {op}'")
        self.cur.advance()
        items = [self.operand(left, op)]
        while self.cur.at("COMMA"):
            self.cur.advance()
            items.append(self.operand(left, op))
        if not self.cur.at("RPAREN"):
            raise self.cur.error("',' or ')' in the IN list")
        end = self.cur.advance().end
        return Compare(op, left, tuple(items), left.start, end, first.start, op)

    def operand(self, left: Expr, symbol: str) -> Expr:
        node = self.sum(lambda: self.expected.operand(left, self.text(left), symbol))
        self.require_value(node)
        return node

    def sum(self, expecting: Callable[[], str]) -> Expr:
        node = self.product(expecting)
        while self.cur.at_arith("+", "-"):
            node = self.arith(node, self.product)
        return node

    def product(self, expecting: Callable[[], str]) -> Expr:
        node = self.unary(expecting)
        while self.cur.at_arith("*", "/"):
            node = self.arith(node, self.unary)
        return node

    def arith(self, left: Expr, next_operand: Callable[[Callable[[], str]], Expr]) -> Arith:
        tok = self.cur.advance()
        self.require_value(left)
        op = str(tok.value)
        right = next_operand(lambda: self.expected.operand(left, self.text(left), op))
        self.require_value(right)
        return Arith(op, left, right, left.start, right.end, tok.start)

    def unary(self, expecting: Callable[[], str]) -> Expr:
        if not self.cur.at_arith("+", "-"):
            return self.primary(expecting)
        tok = self.cur.advance()
        self.enter(tok)
        operand = self.unary(expecting)
        self.require_value(operand)
        self.depth -= 1
        return Unary(str(tok.value), operand, tok.start, operand.end)

    def primary(self, expecting: Callable[[], str]) -> Expr:
        tok = self.cur.tok
        if tok.kind in ("NUMBER", "STRING", "NAME"):
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise self.cur.fail(
                    tok.start,
                    f"more than {MAX_TERMS} names and values; write a shorter {self.cur.what}",
                )
            self.cur.advance()
            value = tok.value
            if isinstance(value, tuple):
                if len(value) == 1 and value[0].lower() in ("true", "false"):
                    return Literal(value[0].lower() == "true", tok.start, tok.end)
                return Ref(value, tok.start, tok.end)
            return Literal(value, tok.start, tok.end)
        if tok.kind == "LPAREN":
            self.cur.advance()
            self.enter(tok)
            node = self.or_expr()
            if not self.cur.at("RPAREN"):
                raise self.cur.error(f"')' to close the '(' at position {tok.start}")
            end = self.cur.advance().end
            self.depth -= 1
            # Keep the parenthesised span so messages quote what the user wrote.
            return dataclasses.replace(node, start=tok.start, end=end)
        raise self.cur.error(expecting())
