"""The run filter: the shared grammar read against the names and types of a run.

A name is ``metrics.KEY``, ``params.KEY``, ``tags.KEY`` (also ``metric.``, ``param.``,
``tag.``) or an attribute, optionally written ``attributes.NAME``. Each condition compares
one name with literal values, so :func:`parse_filter` turns the syntax tree into
:class:`Comparison` leaves joined by :class:`~jupyter_mlops.expressions.syntax.And`,
``Or`` and ``Not``, which the store compiles to SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal as TypingLiteral
from typing import TypeAlias

from jupyter_mlops.errors import FilterSyntaxError
from jupyter_mlops.expressions.parser import Expected, parse
from jupyter_mlops.expressions.syntax import (
    IN_OPS,
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

Kind: TypeAlias = TypingLiteral["metric", "param", "tag", "attribute", "dataset"]
Scalar: TypeAlias = str | int | float
Value: TypeAlias = Scalar | tuple[Scalar, ...] | None

#: Attributes a filter can name, and whether each compares as a number.
ATTRIBUTES: dict[str, bool] = {
    "duration": True,
    "end_time": True,
    "experiment": False,
    "name": False,
    "parent_id": False,
    "run_id": False,
    "start_time": True,
    "status": False,
    "user": False,
}
RUN_STATUSES = ("failed", "finished", "killed", "running")
#: Statuses a filter accepts (in any case): ours and MLflow's ``scheduled``, which no run
#: here has, so ``status != 'SCHEDULED'`` matches every run, as in MLflow.
FILTER_STATUSES = (*RUN_STATUSES, "scheduled")
#: A start or end time above this is epoch milliseconds (MLflow's unit), not seconds:
#: 1e11 seconds is the year 5138, 1e11 milliseconds March 1973.
MILLISECONDS_FROM = 1e11

_ALIASES = {
    "run_name": "name",
    "user_id": "user",
    "experiment_name": "experiment",
    "run name": "name",
    "created": "start_time",
    "run_uuid": "run_id",
}
#: Tags MLflow mirrors from attributes: a filter on them reads the attribute.
_MIRRORED_TAGS = {"mlflow.runName": "name"}
_PREFIXES: dict[str, Kind] = {
    "metrics": "metric",
    "metric": "metric",
    "params": "param",
    "param": "param",
    "tags": "tag",
    "tag": "tag",
    "attributes": "attribute",
    "attribute": "attribute",
    "attr": "attribute",
    "run": "attribute",
    "datasets": "dataset",
    "dataset": "dataset",
}
#: What ``datasets.KEY`` can name: a dataset the run used (its name, the version's digest,
#: the role it was used in, MLflow's ``context``).
DATASET_KEYS = ("name", "digest", "context")
_NUMBER_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})
_STRING_OPS = frozenset({"=", "!=", "LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE"})
_NAME = "a metric, param, tag or attribute name"
_ARITHMETIC = "arithmetic (+ - * /) is for gates; a filter compares a key with a value"


@dataclass(frozen=True)
class Comparison:
    """``kind.key op value``; ``value`` is a tuple for IN lists and None for IS NULL."""

    kind: Kind
    key: str
    op: str
    value: Value


Node: TypeAlias = "Comparison | And[Node] | Or[Node] | Not[Node]"


def run_key(ref: Ref, expr: str, what: str) -> tuple[Kind, str]:
    """What ``ref`` names in a run: ``("metric", "auc")`` for ``metrics.auc``.

    Raises:
        FilterSyntaxError: for an unknown prefix or attribute.
    """
    parts = ref.parts
    prefix = _PREFIXES.get(parts[0].lower()) if len(parts) > 1 else "attribute"
    if prefix is None:
        detail = (
            f"unknown prefix '{parts[0]}.' in '{expr[ref.start : ref.end]}'; "
            "expected metrics., params., tags. or attributes."
        )
        raise syntax_error(expr, ref.start, detail, what)
    if prefix == "tag" and ".".join(parts[1:]) in _MIRRORED_TAGS:
        # MLflow writes the run name into this tag; here it is a column.
        return "attribute", _MIRRORED_TAGS[".".join(parts[1:])]
    if prefix == "dataset":
        key = ".".join(parts[1:])
        if key not in DATASET_KEYS:
            detail = f"unknown dataset field '{expr[ref.start : ref.end]}'; expected " + ", ".join(
                f"datasets.{k}" for k in DATASET_KEYS
            )
            raise syntax_error(expr, ref.start, detail, what)
        return prefix, key
    if prefix != "attribute":
        return prefix, ".".join(parts[1:])
    attr = parts[-1].lower()
    attr = _ALIASES.get(attr, attr)
    if attr == "artifact_uri" and len(parts) <= 2:
        detail = (
            f"'{expr[ref.start : ref.end]}' is MLflow's; runs here keep their files in the "
            "project's content-addressed store, with no artifact URI to filter on"
        )
        raise syntax_error(expr, ref.start, detail, what)
    if len(parts) > 2 or attr not in ATTRIBUTES:
        detail = (
            f"unknown attribute '{expr[ref.start : ref.end]}'; expected one of "
            f"{', '.join(ATTRIBUTES)} or metrics.KEY, params.KEY, tags.KEY"
        )
        raise syntax_error(expr, ref.start, detail, what)
    return "attribute", attr


def _numeric(kind: Kind, key: str) -> bool:
    return kind == "metric" or (kind == "attribute" and ATTRIBUTES[key])


def _noun(kind: Kind, key: str, op: str) -> str:
    """What a filter expects on the right of ``kind.key op``."""
    if op in LIKE_OPS:
        return "a string pattern"
    if kind == "attribute" and key in ("start_time", "end_time"):
        return "a number (epoch seconds, or milliseconds as in MLflow) or an ISO date"
    return "a number" if _numeric(kind, key) else "a string"


class _RunFilter(Expected):
    """Names what a filter expects, and reads the tree as comparisons of run keys."""

    def __init__(self, expr: str) -> None:
        self.expr = expr

    def fail(self, pos: int, detail: str) -> FilterSyntaxError:
        return syntax_error(self.expr, pos, detail, "filter")

    def show(self, node: Expr) -> str:
        """How an error names a node: strings as typed, the rest in quotes."""
        text = self.expr[node.start : node.end]
        if isinstance(node, Literal) and isinstance(node.value, str) and text[:1] in "'\"":
            return text
        return f"'{text}'"

    # -- Expected: what goes where, for the parser's messages -------------------
    def condition(self) -> str:
        return _NAME

    def operand(self, left: Expr, lhs: str, symbol: str) -> str:
        if not isinstance(left, Ref) or symbol in ("+", "-", "*", "/"):
            return f"a value after '{lhs} {symbol}'"
        kind, key = run_key(left, self.expr, "filter")
        return f"{_noun(kind, key, symbol)} {_place(lhs, symbol)}"

    # -- the tree as comparisons ------------------------------------------------
    def resolve(self, node: Expr) -> Node:
        if isinstance(node, And):
            return And(tuple(self.resolve(item) for item in node.operands), node.start, node.end)
        if isinstance(node, Or):
            return Or(tuple(self.resolve(item) for item in node.operands), node.start, node.end)
        if isinstance(node, Not):
            return Not(self.resolve(node.operand), node.start, node.end)
        if isinstance(node, Compare):
            return self.comparison(node)
        # Only `true` and `false` are conditions without being comparisons.
        raise self.fail(node.start, f"expected {_NAME}, found {self.show(node)}")

    def comparison(self, node: Compare) -> Comparison:
        arith = [at for value in children(node) for at in _arithmetic(value)]
        if arith:
            raise self.fail(min(arith), _ARITHMETIC)
        left = node.left
        if not isinstance(left, Ref):
            found = f"'{left.op}'" if isinstance(left, Unary) else self.show(left)
            raise self.fail(left.start, f"expected {_NAME}, found {found}")
        kind, key = run_key(left, self.expr, "filter")
        op = node.op
        if op in NULL_OPS:
            return Comparison(kind, key, op, None)
        numeric = _numeric(kind, key)
        if kind == "attribute" and key == "status" and op in LIKE_OPS:
            pass  # MLflow matches a pattern against the upper-case status (FIN%)
        elif op not in (_NUMBER_OPS if numeric else _STRING_OPS) and op not in IN_OPS:
            lhs = self.expr[left.start : left.end]
            if numeric:
                detail = (
                    f"'{op}' compares strings; {lhs} is a number (use =, !=, <, <=, >, >= or IN)"
                )
            else:
                detail = f"'{op}' compares numbers; {lhs} is a string (use =, !=, LIKE or IN)"
            raise self.fail(node.at, detail)
        if isinstance(node.right, tuple):
            values = tuple(self.literal(item, node, kind, key) for item in node.right)
            return Comparison(kind, key, op, values)
        assert node.right is not None
        return Comparison(kind, key, op, self.literal(node.right, node, kind, key))

    def mismatch(
        self, item: Expr, owner: Compare, kind: Kind, key: str, *, sign: bool = False
    ) -> FilterSyntaxError:
        """``expected <what kind.key takes> <where>, found <item>`` (or its sign alone)."""
        found = f"'{item.op}'" if sign and isinstance(item, Unary) else self.show(item)
        lhs = self.expr[owner.left.start : owner.left.end]
        expected = f"{_noun(kind, key, owner.op)} {_place(lhs, owner.symbol)}"
        return self.fail(item.start, f"expected {expected}, found {found}")

    def literal(self, item: Expr, owner: Compare, kind: Kind, key: str) -> Scalar:
        """Check one value of ``owner`` (a sign may precede a number) against ``kind.key``."""
        sign, target = 1, item
        if isinstance(item, Unary):
            operand = item.operand
            if not isinstance(operand, Literal) or isinstance(operand.value, bool | str):
                raise self.mismatch(item, owner, kind, key, sign=True)
            sign, target = (-1 if item.op == "-" else 1), operand
        if not isinstance(target, Literal) or isinstance(target.value, bool):
            raise self.mismatch(item, owner, kind, key)
        value = target.value
        like = owner.op in LIKE_OPS
        numeric = _numeric(kind, key)
        if isinstance(value, str):
            if not like and numeric:
                is_time = kind == "attribute" and key in ("start_time", "end_time")
                moment = _parse_time(value) if is_time else None
                if moment is None:
                    raise self.mismatch(item, owner, kind, key)
                return moment
            text = value
        elif like:
            raise self.mismatch(item, owner, kind, key)
        elif numeric:
            if key in ("start_time", "end_time") and kind == "attribute":
                return _seconds(sign * value)
            return sign * value
        else:
            text = str(sign * value)
        if kind == "attribute" and key == "status" and not like:
            text = text.lower()
            if text not in FILTER_STATUSES:
                known = ", ".join(FILTER_STATUSES)
                detail = f"unknown status '{text}'; expected one of {known}"
                raise self.fail(item.start, detail)
        return text


def _place(lhs: str, symbol: str) -> str:
    return f"in the IN list of '{lhs}'" if symbol in IN_OPS else f"after '{lhs} {symbol}'"


def _arithmetic(value: Expr) -> list[int]:
    """Where the operators of any arithmetic in ``value`` stand."""
    if isinstance(value, Arith):
        return [value.at, *_arithmetic(value.left), *_arithmetic(value.right)]
    if isinstance(value, Unary):
        return _arithmetic(value.operand)
    return []


def _seconds(value: float) -> float:
    """A time literal in seconds: one that can only be milliseconds (MLflow's) is divided."""
    return value / 1000 if abs(value) >= MILLISECONDS_FROM else value


def _parse_time(text: str) -> float | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_filter(expr: str | None) -> Node | None:
    """Parse a run filter into comparisons of run keys; an empty or blank filter is None.

    Args:
        expr: for example ``metrics.auc > 0.9 and params.C = '0.5'``.

    Returns:
        The root node, or None when ``expr`` is empty.

    Raises:
        FilterSyntaxError: naming the 0-based position and what was expected there.
    """
    if expr is None or (isinstance(expr, str) and not expr.strip()):
        return None
    names = _RunFilter(expr)
    return names.resolve(parse(expr, what="filter", expected=names))
