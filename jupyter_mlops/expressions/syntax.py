"""The syntax tree of the expression language: one tree for filters and gates.

Every node keeps ``start``/``end``, its span in the source, so messages quote what the user
typed; ``at`` is where an operator stands. ``And``, ``Or`` and ``Not`` are generic in what
they join: the parser joins any :data:`Expr`, and the run filter joins its typed
comparisons with the same three classes. Their spans do not take part in equality: two
trees are equal when they say the same thing, wherever it was written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeAlias, TypeVar

N = TypeVar("N")

Scalar: TypeAlias = bool | int | float | str

#: Operators of :class:`Compare`, as the parser normalises them.
COMPARE_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})
LIKE_OPS = frozenset({"LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE"})
IN_OPS = frozenset({"IN", "NOT IN"})
NULL_OPS = frozenset({"IS NULL", "IS NOT NULL"})


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
        """The reference written back, quoting parts that need it: ``metrics.`val-loss```."""
        return ".".join(p if p.replace("_", "a").isalnum() else f"`{p}`" for p in self.parts)


@dataclass(frozen=True)
class Unary:
    """A sign: ``-x`` or ``+x``."""

    op: str
    operand: Expr
    start: int
    end: int


@dataclass(frozen=True)
class Arith:
    """``left op right`` for ``op`` in ``+ - * /``."""

    op: str
    left: Expr
    right: Expr
    start: int
    end: int
    at: int


@dataclass(frozen=True)
class Compare:
    """A condition on ``left``.

    ``op`` is one of :data:`COMPARE_OPS` (``right`` is a value), :data:`LIKE_OPS` (``right``
    is the pattern), :data:`IN_OPS` (``right`` is the tuple of listed values) or
    :data:`NULL_OPS` (``right`` is None). ``symbol`` is the operator as an error message
    shows it: as typed for ``==`` or ``<>``, normalised (``NOT LIKE``) for keywords.
    """

    op: str
    left: Expr
    right: Expr | tuple[Expr, ...] | None
    start: int
    end: int
    at: int
    symbol: str


@dataclass(frozen=True)
class And(Generic[N]):
    """All operands hold."""

    operands: tuple[N, ...]
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Or(Generic[N]):
    """Any operand holds."""

    operands: tuple[N, ...]
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Not(Generic[N]):
    """The operand does not hold."""

    operand: N
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


Expr: TypeAlias = "Literal | Ref | Unary | Arith | Compare | And[Expr] | Or[Expr] | Not[Expr]"


def is_condition(node: Expr) -> bool:
    """Whether ``node`` is true or false (a condition) rather than a number or string.

    A boolean literal is both: ``true`` is a condition and a value.
    """
    if isinstance(node, Literal):
        return isinstance(node.value, bool)
    return isinstance(node, Compare | And | Or | Not)


def children(node: Expr) -> Iterator[Expr]:
    """The nodes directly under ``node``, in source order."""
    if isinstance(node, Unary | Not):
        yield node.operand
    elif isinstance(node, Arith):
        yield node.left
        yield node.right
    elif isinstance(node, Compare):
        yield node.left
        if isinstance(node.right, tuple):
            yield from node.right
        elif node.right is not None:
            yield node.right
    elif isinstance(node, And | Or):
        yield from node.operands
