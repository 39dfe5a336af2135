r"""The run filter language: a tokenizer and a recursive-descent parser, no eval.

Grammar (keywords are case-insensitive; ``not`` binds tighter than ``and``,
``and`` tighter than ``or``)::

    filter     := or_expr EOF
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" or_expr ")" | comparison
    comparison := name OP literal | name ["not"] ("like" | "ilike") string
                | name ["not"] "in" "(" literal ("," literal)* ")" | name "is" ["not"] "null"

A name is ``metrics.KEY``, ``params.KEY``, ``tags.KEY`` (also ``metric.``, ``param.``,
``tag.``) or an attribute, optionally written ``attributes.NAME``. A bare KEY is
``[A-Za-z0-9_.]+``; quote it with backticks or double quotes for anything else:
``metrics.`val-loss```. Strings take single or double quotes; inside them ``
``, ``	``,
``\``, ``'`` and ``"`` are escapes, any other backslash stays as typed (so LIKE patterns
keep ``\%``), and a doubled quote stands for one quote, as in SQL.

Metrics and the time attributes compare with numbers; params, tags and the other
attributes compare as strings, and a number compared with them stands for its Python
string form (``params.C = 0.5`` is ``params.C = '0.5'``, the way ``log_param`` stores it).
``start_time`` and ``end_time`` also take ISO dates (UTC unless an offset is given).

The tokenizer already emits ``+ - * /`` as ``ARITH`` tokens and keeps dotted names
of any depth (``production.metrics.auc``) so gate expressions can reuse it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeAlias

from jupyter_mlops.errors import FilterSyntaxError

Kind: TypeAlias = Literal["metric", "param", "tag", "attribute"]
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

_ALIASES = {"run_name": "name", "user_id": "user", "experiment_name": "experiment"}
_PREFIXES: dict[str, Kind] = {
    "metrics": "metric",
    "metric": "metric",
    "params": "param",
    "param": "param",
    "tags": "tag",
    "tag": "tag",
    "attributes": "attribute",
    "attribute": "attribute",
}
_KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "IS", "NULL", "ASC", "DESC"})
_COMPARE_OPS = {
    "=": "=",
    "==": "=",
    "!=": "!=",
    "<>": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}
_NUMBER_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})
_STRING_OPS = frozenset({"=", "!=", "LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE"})
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}

_NUMBER_RE = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEY_RE = re.compile(r"[A-Za-z0-9_]+")

TokenKind: TypeAlias = Literal[
    "NAME", "KEYWORD", "STRING", "NUMBER", "OP", "ARITH", "LPAREN", "RPAREN", "COMMA", "EOF"
]


@dataclass(frozen=True)
class Token:
    """One token: ``value`` is the parts of a NAME, the text of a STRING, a number, or the op.

    ``start``/``end`` index the source, so ``expr[start:end]`` is what the user typed.
    """

    kind: TokenKind
    value: tuple[str, ...] | str | int | float
    start: int
    end: int


@dataclass(frozen=True)
class Comparison:
    """``kind.key op value``; ``value`` is a tuple for IN lists and None for IS NULL."""

    kind: Kind
    key: str
    op: str
    value: Value


@dataclass(frozen=True)
class And:
    """All operands hold."""

    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Any operand holds."""

    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """The operand does not hold: runs lacking ``metrics.x`` match ``not metrics.x > 1``."""

    operand: Node


Node: TypeAlias = Comparison | And | Or | Not


@dataclass(frozen=True)
class OrderKey:
    """One ``order_by`` item such as ``metrics.auc desc``."""

    kind: Kind
    key: str
    descending: bool


def _fail(expr: str, pos: int, detail: str, what: str = "filter") -> FilterSyntaxError:
    return FilterSyntaxError(
        f"Invalid {what} at position {pos}: {detail}", expression=expr, position=pos
    )


def tokenize(expr: str, *, what: str = "filter") -> list[Token]:
    """Split ``expr`` into tokens, ending with an EOF token.

    Raises:
        FilterSyntaxError: on an unknown character, bad number or unterminated string.
    """
    tokens: list[Token] = []
    i, n = 0, len(expr)
    while i < n:
        ch = expr[i]
        if ch.isspace():
            i += 1
        elif ch in "(),":
            kind: TokenKind = "LPAREN" if ch == "(" else "RPAREN" if ch == ")" else "COMMA"
            tokens.append(Token(kind, ch, i, i + 1))
            i += 1
        elif expr.startswith(("==", "!=", "<>", "<=", ">="), i):
            tokens.append(Token("OP", expr[i : i + 2], i, i + 2))
            i += 2
        elif ch in "=<>":
            tokens.append(Token("OP", ch, i, i + 1))
            i += 1
        elif ch in "+-*/":
            tokens.append(Token("ARITH", ch, i, i + 1))
            i += 1
        elif ch in "'\"":
            text, end = _read_quoted(expr, i, what)
            tokens.append(Token("STRING", text, i, end))
            i = end
        elif (m := _NUMBER_RE.match(expr, i)) is not None:
            if m.end() < n and (expr[m.end()].isalnum() or expr[m.end()] in "_."):
                bad = re.match(r"[\w.]+", expr[i:])
                raise _fail(expr, i, f"invalid number '{bad[0] if bad else m[0]}'", what)
            number = m[0]
            plain_int = number.isdigit()
            tokens.append(Token("NUMBER", int(number) if plain_int else float(number), i, m.end()))
            i = m.end()
        elif (m := _WORD_RE.match(expr, i)) is not None:
            token = _read_name(expr, i, m[0], what)
            tokens.append(token)
            i = token.end
        else:
            raise _fail(expr, i, f"unexpected character {ch!r}", what)
    tokens.append(Token("EOF", "", n, n))
    return tokens


def _read_quoted(expr: str, start: int, what: str) -> tuple[str, int]:
    """Read a quoted string or key at ``start``; return its text and the index past it."""
    quote = expr[start]
    out: list[str] = []
    i = start + 1
    while i < len(expr):
        ch = expr[i]
        if ch == quote:
            if expr.startswith(quote, i + 1):  # SQL style: a doubled quote is one quote
                out.append(quote)
                i += 2
                continue
            return "".join(out), i + 1
        if ch == "\\" and quote != "`" and i + 1 < len(expr):
            nxt = expr[i + 1]
            # Unknown escapes stay as typed, so LIKE patterns keep \% and \_.
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    raise _fail(expr, start, f"unterminated string; expected a closing {quote}", what)


def _read_name(expr: str, start: int, word: str, what: str) -> Token:
    """Read ``word`` and any ``.part`` after it (bare, backquoted or double-quoted)."""
    parts = [word]
    i = start + len(word)
    while i < len(expr) and expr[i] == ".":
        i += 1
        if i < len(expr) and expr[i] in '`"':
            key, i = _read_quoted(expr, i, what)
            if not key:
                raise _fail(expr, i - 2, "expected a key between the quotes, found none", what)
            parts.append(key)
        elif (m := _KEY_RE.match(expr, i)) is not None:
            parts.append(m[0])
            i = m.end()
        else:
            if i == len(expr):
                found = "the end of the " + what
            else:
                found = "a space" if expr[i].isspace() else f"'{expr[i]}'"
            raise _fail(expr, i, f"expected a key after '{expr[start:i]}', found {found}", what)
    if len(parts) == 1 and word.upper() in _KEYWORDS:
        return Token("KEYWORD", word.upper(), start, i)
    return Token("NAME", tuple(parts), start, i)


class _Parser:
    def __init__(self, expr: str, what: str = "filter") -> None:
        self.expr = expr
        self.what = what
        self.tokens = tokenize(expr, what=what)
        self.i = 0

    # -- helpers -------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, *kinds: TokenKind) -> bool:
        return self.tokens[self.i].kind in kinds

    def at_keyword(self, *words: str) -> bool:
        return self.at("KEYWORD") and self.tok.value in words

    def text(self, tok: Token) -> str:
        return self.expr[tok.start : tok.end]

    def show(self, start: int, end: int, kind: TokenKind) -> str:
        """How an error names what it found: strings as typed, the rest in quotes."""
        if kind == "EOF":
            return f"the end of the {self.what}"
        text = self.expr[start:end]
        return text if kind == "STRING" else f"'{text}'"

    def error(self, expected: str) -> FilterSyntaxError:
        tok = self.tok
        found = self.show(tok.start, tok.end, tok.kind)
        return _fail(self.expr, tok.start, f"expected {expected}, found {found}", self.what)

    # -- grammar -------------------------------------------------------------
    def parse(self) -> Node:
        node = self.or_expr()
        if not self.at("EOF"):
            raise self.error("'and', 'or' or the end of the filter")
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.at_keyword("OR"):
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.at_keyword("AND"):
            self.advance()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        if self.at_keyword("NOT"):
            self.advance()
            return Not(self.not_expr())
        if self.at("LPAREN"):
            opening = self.advance()
            node = self.or_expr()
            if not self.at("RPAREN"):
                raise self.error(f"')' to close the '(' at position {opening.start}")
            self.advance()
            return node
        return self.comparison()

    def name(self) -> tuple[Kind, str, Token]:
        tok = self.tok
        if tok.kind != "NAME":
            raise self.error("a metric, param, tag or attribute name")
        self.advance()
        parts = tok.value
        assert isinstance(parts, tuple)
        prefix = _PREFIXES.get(parts[0].lower()) if len(parts) > 1 else "attribute"
        if prefix is None:
            raise _fail(
                self.expr,
                tok.start,
                f"unknown prefix '{parts[0]}.' in '{self.text(tok)}'; expected "
                "metrics., params., tags. or attributes.",
                self.what,
            )
        if prefix != "attribute":
            return prefix, ".".join(parts[1:]), tok
        attr = parts[-1].lower()
        attr = _ALIASES.get(attr, attr)
        if len(parts) > 2 or attr not in ATTRIBUTES:
            raise _fail(
                self.expr,
                tok.start,
                f"unknown attribute '{self.text(tok)}'; expected one of "
                f"{', '.join(ATTRIBUTES)} or metrics.KEY, params.KEY, tags.KEY",
                self.what,
            )
        return "attribute", attr, tok

    def comparison(self) -> Comparison:
        kind, key, name_tok = self.name()
        lhs = self.text(name_tok)
        numeric = kind == "metric" or (kind == "attribute" and ATTRIBUTES[key])
        op_tok = self.tok
        if op_tok.kind == "OP":
            self.advance()
            op = _COMPARE_OPS[str(op_tok.value)]
        elif self.at_keyword("LIKE", "ILIKE", "IN"):
            op = str(self.advance().value)
        elif self.at_keyword("NOT"):
            self.advance()
            if not self.at_keyword("LIKE", "ILIKE", "IN"):
                raise self.error(f"IN, LIKE or ILIKE after '{lhs} NOT'")
            op = "NOT " + str(self.advance().value)
        elif self.at_keyword("IS"):
            self.advance()
            negate = self.at_keyword("NOT")
            if negate:
                self.advance()
            if not self.at_keyword("NULL"):
                raise self.error(f"NULL or NOT NULL after '{lhs} IS'")
            self.advance()
            return Comparison(kind, key, "IS NOT NULL" if negate else "IS NULL", None)
        else:
            raise self.error(f"a comparison operator after '{lhs}'")

        allowed = _NUMBER_OPS if numeric else _STRING_OPS
        if op not in allowed and not op.endswith("IN"):
            if numeric:
                detail = (
                    f"'{op}' compares strings; {lhs} is a number (use =, !=, <, <=, >, >= or IN)"
                )
            else:
                detail = f"'{op}' compares numbers; {lhs} is a string (use =, !=, LIKE or IN)"
            raise _fail(self.expr, op_tok.start, detail, self.what)
        context = f"'{lhs} {self.text(op_tok)}'" if op_tok.kind == "OP" else f"'{lhs} {op}'"
        if op.endswith("IN"):
            if not self.at("LPAREN"):
                raise self.error(f"'(' after {context}")
            self.advance()
            place = f"in the IN list of '{lhs}'"
            values = [self.literal(kind, key, place, like=False)]
            while self.at("COMMA"):
                self.advance()
                values.append(self.literal(kind, key, place, like=False))
            if not self.at("RPAREN"):
                raise self.error("',' or ')' in the IN list")
            self.advance()
            return Comparison(kind, key, op, tuple(values))
        value = self.literal(kind, key, f"after {context}", like="LIKE" in op)
        return Comparison(kind, key, op, value)

    def literal(self, kind: Kind, key: str, place: str, *, like: bool) -> Scalar:
        """Read one literal (a sign may precede a number) and check it against ``kind.key``."""
        first = self.tok
        is_time = kind == "attribute" and key in ("start_time", "end_time")
        numeric = kind == "metric" or (kind == "attribute" and ATTRIBUTES[key])
        if like:
            expected = "a string pattern"
        elif is_time:
            expected = "a number (epoch seconds) or an ISO date"
        else:
            expected = "a number" if numeric else "a string"
        sign = 1
        signed = first.kind == "ARITH" and first.value in ("+", "-")
        if signed and self.tokens[self.i + 1].kind == "NUMBER":
            sign = -1 if first.value == "-" else 1
            self.advance()
        if not self.at("NUMBER", "STRING"):
            raise self.error(f"{expected} {place}")
        tok = self.advance()
        value = tok.value
        assert isinstance(value, str | int | float)

        def mismatch() -> FilterSyntaxError:
            found = self.show(first.start, tok.end, tok.kind)
            detail = f"expected {expected} {place}, found {found}"
            return _fail(self.expr, first.start, detail, self.what)

        if isinstance(value, str):
            if like or not numeric:
                text = value
            elif is_time and (moment := _parse_time(value)) is not None:
                return moment
            else:
                raise mismatch()
        elif like:
            raise mismatch()
        elif numeric:
            return sign * value
        else:
            text = str(sign * value)
        if kind == "attribute" and key == "status" and not like:
            text = text.lower()
            if text not in RUN_STATUSES:
                detail = f"unknown status '{text}'; expected one of {', '.join(RUN_STATUSES)}"
                raise _fail(self.expr, first.start, detail, self.what)
        return text

    def order_key(self) -> OrderKey:
        kind, key, _ = self.name()
        descending = False
        if self.at_keyword("ASC", "DESC"):
            descending = self.advance().value == "DESC"
        if not self.at("EOF"):
            raise self.error("ASC, DESC or the end of the order_by item")
        return OrderKey(kind, key, descending)


def _parse_time(text: str) -> float | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_filter(expr: str | None) -> Node | None:
    """Parse a filter expression into an AST; an empty or blank filter is None.

    Args:
        expr: for example ``metrics.auc > 0.9 and params.C = '0.5'``.

    Returns:
        The root node, or None when ``expr`` is empty.

    Raises:
        FilterSyntaxError: naming the 0-based position and what was expected there.
    """
    if expr is None or not expr.strip():
        return None
    return _Parser(expr).parse()


def parse_order_by(item: str) -> OrderKey:
    """Parse one ``order_by`` item such as ``metrics.auc desc`` or ``start_time``.

    Raises:
        FilterSyntaxError: for an unknown name or anything after ASC/DESC.
    """
    return _Parser(item, "order_by").order_key()
