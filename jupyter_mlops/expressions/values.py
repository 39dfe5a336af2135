"""The value evaluator: gates such as ``metrics.roc_auc >= production.metrics.roc_auc - 0.01``.

A gate is evaluated against a *context*: a plain nested mapping from namespaces to values,
so model promotion, pipeline step gates and monitors can each supply their own. A
reference is looked up part by part: ``metrics.roc_auc`` is ``context["metrics"]["roc_auc"]``
and ``production.metrics.roc_auc`` is ``context["production"]["metrics"]["roc_auc"]`` (a
key may itself hold dots: ``metrics.val.auc`` finds the key ``val.auc``). A numeric
string (a param such as ``'0.5'``) compares and computes as a number; other strings
compare only with strings.

A gate never passes by accident: a syntax error, a reference the context does not hold, a
:class:`Missing` value (for example, no version holds the stage a check compares with), a
NaN, a type mismatch or a division by zero gives a result with ``passed=False`` and
``error`` set to the reason. Every reference is resolved before anything is evaluated, so an
unknown metric on the right of an ``or`` is still reported. Only ``IS [NOT] NULL`` asks
whether a key is recorded: ``tags.reviewed IS NULL`` holds when the candidate has no tag
``reviewed`` (a null value counts as absent, a NaN as present, as in a run search).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_mlops.errors import FilterSyntaxError
from jupyter_mlops.expressions.parser import parse
from jupyter_mlops.expressions.syntax import (
    LIKE_OPS,
    NULL_OPS,
    And,
    Arith,
    Compare,
    Expr,
    Literal,
    Not,
    Or,
    Ref,
    Unary,
    children,
)
from jupyter_mlops.expressions.tokens import syntax_error


@dataclass(frozen=True)
class Missing:
    """A context value that is known to be absent, with the reason a check cannot use it."""

    reason: str


@dataclass(frozen=True)
class Gate:
    """A parsed gate expression."""

    expression: str
    root: Expr

    @property
    def references(self) -> list[Ref]:
        """Every reference in the expression, in order of appearance."""
        return [node for node in _walk(self.root) if isinstance(node, Ref)]


def _walk(node: Expr) -> list[Expr]:
    found = [node]
    for child in children(node):
        found.extend(_walk(child))
    return found


def parse_gate(expression: str) -> Gate:
    """Parse a gate expression.

    Args:
        expression: for example ``metrics.roc_auc >= production.metrics.roc_auc - 0.01``.

    Returns:
        The parsed gate.

    Raises:
        FilterSyntaxError: naming the 0-based position and what was expected there.
    """
    if isinstance(expression, str) and not expression.strip():
        detail = "the gate is empty; write e.g. metrics.roc_auc >= 0.85"
        raise syntax_error(expression, 0, detail, "gate")
    return Gate(expression, parse(expression, what="gate"))


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
    if value is None:
        return "null"
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


def _lookup(context: Mapping[str, Any], ref: Ref, *, nullable: bool) -> Any:
    """Walk the context along ``ref.parts``; a key may itself contain dots.

    With ``nullable`` (the operand of IS NULL), a key absent from a group of values
    (``tags``, ``production.metrics``) or a null value is None instead of an error.
    """
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
            if nullable and path and not any(isinstance(v, Mapping) for v in node.values()):
                return None
            raise _GateError(_unknown(ref, parts[i:], path, [str(k) for k in node]))
    if isinstance(node, Missing):
        raise _GateError(node.reason)
    if isinstance(node, Mapping):
        raise _GateError(f"'{ref.text}' names a group, not a value; add a key after it")
    if node is None and nullable:
        return None
    if node is None or (isinstance(node, float) and math.isnan(node) and not nullable):
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


def _like(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    r"""A LIKE pattern as a regular expression: ``%`` any text, ``_`` one character.

    ``\%`` and ``\_`` (any character after a backslash) stand for themselves, and a
    trailing lone backslash for a backslash, as in a run search.
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


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
            number = _number(self.value(node.operand), self.text(node.operand))
            return -number if node.op == "-" else number
        if isinstance(node, Not):
            return not self.value(node.operand)
        if isinstance(node, And | Or):
            # Every operand is evaluated: their references were all resolved up front.
            results = [bool(self.value(item)) for item in node.operands]
            return all(results) if isinstance(node, And) else any(results)
        if isinstance(node, Arith):
            a = _number(self.value(node.left), self.text(node.left))
            b = _number(self.value(node.right), self.text(node.right))
            if node.op == "/" and b == 0:
                raise _GateError(f"division by zero in '{self.text(node)}'")
            return _ARITH_FN[node.op](a, b)
        return self.condition(node)

    def note(self, node: Expr, value: Any) -> None:
        if isinstance(node, Unary | Arith):
            self.values[self.text(node)] = value

    def side(self, node: Expr) -> Any:
        value = self.value(node)
        self.note(node, value)
        return value

    def condition(self, node: Compare) -> bool:
        left = self.side(node.left)
        if node.op in NULL_OPS:
            return (left is None) == (node.op == "IS NULL")
        if isinstance(node.right, tuple):
            # Each listed value compares as with '=': a numeric string matches its number.
            items = [self.side(item) for item in node.right]
            found = any([self.compare(node, "=", left, item) for item in items])
            return found != (node.op == "NOT IN")
        assert node.right is not None
        right = self.side(node.right)
        if node.op in LIKE_OPS:
            for side, value in ((node.left, left), (node.right, right)):
                if not isinstance(value, str):
                    raise _GateError(
                        f"'{self.text(node)}' matches a string with a pattern; "
                        f"'{self.text(side)}' is {_fmt(value)}, not a string"
                    )
            pattern = _like(right, ignore_case="ILIKE" in node.op)
            return (pattern.fullmatch(left) is not None) != node.op.startswith("NOT")
        return self.compare(node, node.op, left, right)

    def compare(self, node: Compare, op: str, a: Any, b: Any) -> bool:
        if isinstance(a, str) and isinstance(b, str):
            return _CMP_FN[op](a, b)
        if isinstance(a, str) or isinstance(b, str):
            # A numeric string (a param) compares as a number; other strings do not compare.
            try:
                a, b = float(a), float(b)
            except (TypeError, ValueError):
                raise _GateError(
                    f"'{self.text(node)}' compares a string with a number "
                    f"({_fmt(a)} {op} {_fmt(b)}); quote the number or compare numbers"
                ) from None
        if any(isinstance(x, float) and math.isnan(x) for x in (a, b)):
            raise _GateError(f"'{self.text(node)}' compares NaN")
        return _CMP_FN[op](a, b)


def _resolve(gate: Gate, context: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Every reference's value by text, and why the ones that cannot be resolved cannot."""
    null_tested = {
        id(node.left)
        for node in _walk(gate.root)
        if isinstance(node, Compare) and node.op in NULL_OPS and isinstance(node.left, Ref)
    }
    resolved: dict[str, Any] = {}
    errors: list[str] = []
    for ref in gate.references:
        try:
            value = _lookup(context, ref, nullable=id(ref) in null_tested)
        except _GateError as exc:
            if str(exc) not in errors:
                errors.append(str(exc))
        else:
            resolved.setdefault(ref.text, value)
    return resolved, errors


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
    resolved, errors = _resolve(gate, context)
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
