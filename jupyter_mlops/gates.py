"""Gate expressions: safe checks such as ``metrics.roc_auc >= production.metrics.roc_auc - 0.01``.

A gate is parsed (no ``eval``) with the filter language's tokenizer and evaluated against a
*context*: a plain nested mapping from namespaces to values, so model promotion, pipeline
step gates and monitors can each supply their own. Grammar (keywords case-insensitive)::

    gate       := or_expr EOF
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := sum [("=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=") sum]
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | NUMBER | STRING | "true" | "false" | NAME | "(" or_expr ")"

A NAME is a (dotted) reference, looked up part by part in the context:
``metrics.roc_auc`` is ``context["metrics"]["roc_auc"]``, ``production.metrics.roc_auc`` is
``context["production"]["metrics"]["roc_auc"]``. Keys with other characters are quoted with
backticks: ``metrics.`val-loss```. A numeric string (a param such as ``'0.5'``) compares and
computes as a number; other strings compare only with strings.

A gate never passes by accident: a syntax error, a reference the context does not hold, a
:class:`Missing` value (for example, no version holds the stage a check compares with), a
NaN, a type mismatch or a division by zero gives a result with ``passed=False`` and
``error`` set to the reason. Every reference is resolved before anything is evaluated, so an
unknown metric on the right of an ``or`` is still reported.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from jupyter_mlops.errors import FilterSyntaxError, MlopsError
from jupyter_mlops.store.filter import Token, TokenKind, tokenize

Scalar: TypeAlias = float | int | str | bool


@dataclass(frozen=True)
class Missing:
    """A context value that is known to be absent, with the reason a check cannot use it."""

    reason: str


class GateRefused(MlopsError):  # noqa: N818 - the public name the product documents
    """A gate refused: ``failed`` lists the failing checks as dicts (expression, values, ...)."""


# -- AST ----------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    """A number, string or boolean written in the expression."""

    value: Scalar
    start: int
    end: int


@dataclass(frozen=True)
class Ref:
    """A dotted reference such as ``production.metrics.roc_auc``."""

    parts: tuple[str, ...]
    start: int
    end: int

    @property
    def text(self) -> str:
        return ".".join(p if _plain(p) else f"`{p}`" for p in self.parts)


@dataclass(frozen=True)
class Unary:
    """``-x`` or ``+x`` (arithmetic) or ``not x`` (logic)."""

    op: str
    operand: Expr
    start: int
    end: int


@dataclass(frozen=True)
class Binary:
    """An arithmetic (``+ - * /``), comparison or logical (``and``/``or``) operation."""

    op: str
    left: Expr
    right: Expr
    start: int
    end: int


Expr: TypeAlias = Literal | Ref | Unary | Binary

_COMPARE = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_LOGIC = frozenset({"and", "or"})
_ARITH = frozenset({"+", "-", "*", "/"})


def _plain(part: str) -> bool:
    return part.replace("_", "a").isalnum()


@dataclass(frozen=True)
class Gate:
    """A parsed gate expression."""

    expression: str
    root: Expr

    @property
    def references(self) -> list[Ref]:
        """Every reference in the expression, in order of appearance."""
        found: list[Ref] = []
        _walk_refs(self.root, found)
        return found


def _walk_refs(node: Expr, found: list[Ref]) -> None:
    if isinstance(node, Ref):
        found.append(node)
    elif isinstance(node, Unary):
        _walk_refs(node.operand, found)
    elif isinstance(node, Binary):
        _walk_refs(node.left, found)
        _walk_refs(node.right, found)


# -- parser -------------------------------------------------------------------


def _fail(expr: str, pos: int, detail: str) -> FilterSyntaxError:
    return FilterSyntaxError(
        f"Invalid gate at position {pos}: {detail}", expression=expr, position=pos
    )


class _Parser:
    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.tokens = tokenize(expr, what="gate")
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, kind: TokenKind, *values: str) -> bool:
        tok = self.tok
        return tok.kind == kind and (not values or tok.value in values)

    def error(self, expected: str) -> FilterSyntaxError:
        tok = self.tok
        found = (
            "the end of the gate" if tok.kind == "EOF" else f"'{self.expr[tok.start : tok.end]}'"
        )
        return _fail(self.expr, tok.start, f"expected {expected}, found {found}")

    def parse(self) -> Expr:
        if self.at("EOF"):
            raise _fail(self.expr, 0, "the gate is empty; write e.g. metrics.roc_auc >= 0.85")
        node = self.or_expr()
        if not self.at("EOF"):
            raise self.error("an operator, 'and', 'or' or the end of the gate")
        self.check_boolean(node)
        return node

    def logic(self, word: str, sub: Callable[[], Expr]) -> Expr:
        node = sub()
        while self.at("KEYWORD", word.upper()):
            self.advance()
            right = sub()
            node = Binary(word, node, right, node.start, right.end)
        return node

    def or_expr(self) -> Expr:
        return self.logic("or", self.and_expr)

    def and_expr(self) -> Expr:
        return self.logic("and", self.not_expr)

    def not_expr(self) -> Expr:
        if self.at("KEYWORD", "NOT"):
            start = self.advance().start
            operand = self.not_expr()
            return Unary("not", operand, start, operand.end)
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.sum()
        if not self.at("OP"):
            return left
        op_tok = self.advance()
        right = self.sum()
        if self.at("OP"):
            raise _fail(
                self.expr,
                self.tok.start,
                "comparisons do not chain; join them with 'and' (a < b and b < c)",
            )
        return Binary(_COMPARE[str(op_tok.value)], left, right, left.start, right.end)

    def sum(self) -> Expr:
        node = self.product()
        while self.at("ARITH", "+", "-"):
            op = str(self.advance().value)
            right = self.product()
            node = Binary(op, node, right, node.start, right.end)
        return node

    def product(self) -> Expr:
        node = self.unary()
        while self.at("ARITH", "*", "/"):
            op = str(self.advance().value)
            right = self.unary()
            node = Binary(op, node, right, node.start, right.end)
        return node

    def unary(self) -> Expr:
        tok = self.tok
        if self.at("ARITH", "+", "-"):
            self.advance()
            operand = self.unary()
            return Unary(str(tok.value), operand, tok.start, operand.end)
        if tok.kind == "NUMBER":
            self.advance()
            assert isinstance(tok.value, int | float)
            return Literal(tok.value, tok.start, tok.end)
        if tok.kind == "STRING":
            self.advance()
            return Literal(str(tok.value), tok.start, tok.end)
        if tok.kind == "NAME":
            self.advance()
            parts = tok.value
            assert isinstance(parts, tuple)
            if len(parts) == 1 and parts[0].lower() in ("true", "false"):
                return Literal(parts[0].lower() == "true", tok.start, tok.end)
            return Ref(parts, tok.start, tok.end)
        if tok.kind == "LPAREN":
            self.advance()
            node = self.or_expr()
            if not self.at("RPAREN"):
                raise self.error(f"')' to close the '(' at position {tok.start}")
            end = self.advance().end
            # Keep the parenthesised span so messages quote what the user wrote.
            return _respan(node, tok.start, end)
        raise self.error("a number, a string, a reference such as metrics.roc_auc, or '('")

    # -- static checks: logic takes conditions, arithmetic and comparison take values.
    def is_boolean(self, node: Expr) -> bool:
        if isinstance(node, Literal):
            return isinstance(node.value, bool)
        if isinstance(node, Unary):
            return node.op == "not"
        if isinstance(node, Binary):
            return node.op in _LOGIC or node.op in _COMPARE.values()
        return False

    def check_boolean(self, node: Expr) -> None:
        if not self.is_boolean(node):
            raise _fail(
                self.expr,
                node.start,
                f"'{self.expr[node.start : node.end]}' is a value, not a condition; "
                "compare it, e.g. metrics.roc_auc >= 0.85",
            )
        if isinstance(node, Unary):
            self.check_boolean(node.operand)
        elif isinstance(node, Binary):
            if node.op in _LOGIC:
                self.check_boolean(node.left)
                self.check_boolean(node.right)
            else:
                self.check_value(node.left)
                self.check_value(node.right)

    def check_value(self, node: Expr) -> None:
        if self.is_boolean(node) and not isinstance(node, Literal):
            raise _fail(
                self.expr,
                node.start,
                f"'{self.expr[node.start : node.end]}' is a condition where a value is expected",
            )
        if isinstance(node, Unary):
            self.check_value(node.operand)
        elif isinstance(node, Binary):
            self.check_value(node.left)
            self.check_value(node.right)


def _respan(node: Expr, start: int, end: int) -> Expr:
    if isinstance(node, Literal):
        return Literal(node.value, start, end)
    if isinstance(node, Ref):
        return Ref(node.parts, start, end)
    if isinstance(node, Unary):
        return Unary(node.op, node.operand, start, end)
    return Binary(node.op, node.left, node.right, start, end)


def parse_gate(expression: str) -> Gate:
    """Parse a gate expression.

    Args:
        expression: for example ``metrics.roc_auc >= production.metrics.roc_auc - 0.01``.

    Returns:
        The parsed gate.

    Raises:
        FilterSyntaxError: naming the 0-based position and what was expected there.
    """
    if not isinstance(expression, str):
        raise FilterSyntaxError(
            f"A gate must be a string expression, not {type(expression).__name__}.",
            expression=str(expression),
        )
    return Gate(expression, _Parser(expression).parse())


# -- evaluation ---------------------------------------------------------------


class _GateError(Exception):
    """Why a gate cannot be evaluated (internal; becomes GateResult.error)."""


@dataclass(frozen=True)
class GateResult:
    """The outcome of one check.

    Attributes:
        expression: the check as written.
        passed: True only when the expression evaluated to true.
        values: every reference resolved, and every computed side of a comparison, by text.
        message: one line saying what happened, with the values.
        error: why the check could not be evaluated (syntax, unknown reference, ...), else None.
    """

    expression: str
    passed: bool
    values: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    error: str | None = None

    @property
    def status(self) -> str:
        """``passed``, ``failed`` (evaluated false) or ``error`` (could not be evaluated)."""
        return "passed" if self.passed else "error" if self.error else "failed"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN and infinities as strings)."""
        return {
            "expression": self.expression,
            "passed": self.passed,
            "status": self.status,
            "values": {k: _json_value(v) for k, v in self.values.items()},
            "message": self.message,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GateResult:
        """Rebuild a result stored with :meth:`to_dict`."""
        return cls(
            str(data.get("expression", "")),
            bool(data.get("passed")),
            dict(data.get("values") or {}),
            str(data.get("message", "")),
            data.get("error"),
        )

    def __str__(self) -> str:
        return self.message


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return repr(value)
    return str(value)


_NOUNS = {"metrics": "metric", "params": "param", "tags": "tag"}


def _unknown(ref: Ref, rest: tuple[str, ...], path: list[str], known: list[str]) -> str:
    """Say which reference is unknown, and what is known at that place."""
    shown = ", ".join(sorted(known)[:12]) + (", …" if len(known) > 12 else "")
    noun = _NOUNS.get(path[-1]) if path else None
    if noun is not None:
        owner = f" of {'.'.join(path[:-1])}" if len(path) > 1 else ""
        have = f"known: {shown}" if known else f"no {path[-1]} recorded"
        return f"unknown {noun} '{'.'.join(rest)}'{owner} in '{ref.text}' ({have})"
    where = f"under '{'.'.join(path)}'" if path else "in this gate's context"
    have = f"known: {shown}" if known else "it is empty"
    hint = ""
    if len(ref.parts) == 1:
        key = ref.parts[0]
        hint = f"; write metrics.{key}, params.{key} or tags.{key}, or quote a string"
    return f"unknown reference '{ref.text}': no '{rest[0]}' {where} ({have}){hint}"


def _lookup(context: Mapping[str, Any], ref: Ref) -> Any:
    """Walk the context along ``ref.parts``; a key may itself contain dots."""
    node: Any = context
    parts = ref.parts
    i = 0
    path: list[str] = []
    while i < len(parts):
        if isinstance(node, Missing):
            raise _GateError(node.reason)
        if not isinstance(node, Mapping):
            raise _GateError(f"'{ref.text}': '{'.'.join(path)}' has no fields")
        for j in range(len(parts), i, -1):
            key = ".".join(parts[i:j])
            if key in node:
                node = node[key]
                path.append(key)
                i = j
                break
        else:
            raise _GateError(_unknown(ref, parts[i:], path, [str(k) for k in node]))
    if isinstance(node, Missing):
        raise _GateError(node.reason)
    if isinstance(node, Mapping):
        raise _GateError(f"'{ref.text}' names a group, not a value; add a key after it")
    if node is None or (isinstance(node, float) and math.isnan(node)):
        raise _GateError(f"'{ref.text}' has no value (NaN or null)")
    if not isinstance(node, int | float | str):
        raise _GateError(f"'{ref.text}' is a {type(node).__name__}, not a number or string")
    return node


def _number(value: Any, text: str) -> float | int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _GateError(f"'{text}' is the string {value!r}, not a number") from None


_ARITH_FN: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}
_CMP_FN: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class _Evaluator:
    def __init__(self, gate: Gate, resolved: dict[str, Any]) -> None:
        self.expr = gate.expression
        self.resolved = resolved
        self.values: dict[str, Any] = dict(resolved)

    def text(self, node: Expr) -> str:
        return self.expr[node.start : node.end].strip()

    def value(self, node: Expr) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Ref):
            return self.resolved[node.text]
        if isinstance(node, Unary):
            if node.op == "not":
                return not self.value(node.operand)
            number = _number(self.value(node.operand), self.text(node.operand))
            return -number if node.op == "-" else number
        if node.op in _LOGIC:
            # Both sides are evaluated: their references were all resolved up front.
            left, right = bool(self.value(node.left)), bool(self.value(node.right))
            return (left and right) if node.op == "and" else (left or right)
        left_v, right_v = self.value(node.left), self.value(node.right)
        if node.op in _ARITH:
            a = _number(left_v, self.text(node.left))
            b = _number(right_v, self.text(node.right))
            if node.op == "/" and b == 0:
                raise _GateError(f"division by zero in '{self.text(node)}'")
            return _ARITH_FN[node.op](a, b)
        self.note(node.left, left_v)
        self.note(node.right, right_v)
        return self.compare(node, left_v, right_v)

    def note(self, node: Expr, value: Any) -> None:
        if isinstance(node, Unary | Binary):
            self.values[self.text(node)] = value

    def compare(self, node: Binary, a: Any, b: Any) -> bool:
        if isinstance(a, str) and isinstance(b, str):
            return _CMP_FN[node.op](a, b)
        if isinstance(a, str) or isinstance(b, str):
            # A numeric string (a param) compares as a number; other strings do not compare.
            try:
                a, b = float(a), float(b)
            except (TypeError, ValueError):
                raise _GateError(
                    f"'{self.text(node)}' compares a string with a number "
                    f"({_fmt(a)} {node.op} {_fmt(b)}); quote the number or compare numbers"
                ) from None
        if any(isinstance(x, float) and math.isnan(x) for x in (a, b)):
            raise _GateError(f"'{self.text(node)}' compares NaN")
        return _CMP_FN[node.op](a, b)


def evaluate(expression: str | Gate, context: Mapping[str, Any]) -> GateResult:
    """Evaluate one gate expression against ``context``; never raises for a bad gate.

    Args:
        expression: the check, as text or parsed with :func:`parse_gate`.
        context: nested mappings, e.g. ``{"metrics": {...}, "production": {"metrics": {...}}}``;
            a :class:`Missing` value stands for something absent with a reason.

    Returns:
        The result; ``passed`` is False with ``error`` set when the gate cannot be evaluated.
    """
    text = expression.expression if isinstance(expression, Gate) else expression
    try:
        gate = expression if isinstance(expression, Gate) else parse_gate(expression)
    except FilterSyntaxError as exc:
        return GateResult(str(text), False, {}, f"refused: {exc}", str(exc))
    resolved: dict[str, Any] = {}
    errors: list[str] = []
    for ref in gate.references:
        try:
            resolved[ref.text] = _lookup(context, ref)
        except _GateError as exc:
            if str(exc) not in errors:
                errors.append(str(exc))
    if errors:
        reason = "; ".join(errors)
        return GateResult(text, False, resolved, f"refused: {text}: {reason}", reason)
    evaluator = _Evaluator(gate, resolved)
    try:
        passed = bool(evaluator.value(gate.root))
    except (_GateError, OverflowError) as exc:
        return GateResult(text, False, evaluator.values, f"refused: {text}: {exc}", str(exc))
    shown = ", ".join(f"{k} = {_fmt(v)}" for k, v in evaluator.values.items())
    verdict = "passed" if passed else "failed"
    message = f"{verdict}: {text}" + (f" ({shown})" if shown else "")
    return GateResult(text, passed, evaluator.values, message, None)


def evaluate_all(expressions: Iterable[str | Gate], context: Mapping[str, Any]) -> list[GateResult]:
    """Evaluate several checks against one context."""
    return [evaluate(expr, context) for expr in expressions]


def refused(results: Iterable[GateResult]) -> list[GateResult]:
    """The results that did not pass."""
    return [r for r in results if not r.passed]
