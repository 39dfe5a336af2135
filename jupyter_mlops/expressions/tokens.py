r"""The tokenizer of the expression language, and a cursor over its tokens for the parsers.

A NAME token keeps every dotted part (``production.metrics.auc`` is three parts); a part
is ``[A-Za-z0-9_]+`` or a key quoted with backticks or double quotes. Strings take single
or double quotes and, as in MLflow, a backslash is not an escape: ``'C:\temp'`` is the
text typed, and a backslash keeps the character after it in the string (``'a\'b'`` is
``a\'b``, so LIKE patterns keep ``\%``). A doubled quote stands for one quote, as in SQL.
A name may start with a backquoted part: ```metrics`.acc``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypeAlias

from jupyter_mlops.errors import FilterSyntaxError

TokenKind: TypeAlias = Literal[
    "NAME", "KEYWORD", "STRING", "NUMBER", "OP", "ARITH", "LPAREN", "RPAREN", "COMMA", "EOF"
]

KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "IS", "NULL", "ASC", "DESC"})
_NUMBER_RE = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEY_RE = re.compile(r"[A-Za-z0-9_]+")


@dataclass(frozen=True)
class Token:
    """One token: ``value`` is the parts of a NAME, the text of a STRING, a number, or the op.

    ``start``/``end`` index the source, so ``expr[start:end]`` is what the user typed.
    """

    kind: TokenKind
    value: tuple[str, ...] | str | int | float
    start: int
    end: int


def syntax_error(expr: str, pos: int, detail: str, what: str) -> FilterSyntaxError:
    """The one error of the language: ``Invalid <what> at position <pos>: <detail>``."""
    return FilterSyntaxError(
        f"Invalid {what} at position {pos}: {detail}", expression=expr, position=pos
    )


def tokenize(expr: str, *, what: str = "filter") -> list[Token]:
    """Split ``expr`` into tokens, ending with an EOF token.

    Args:
        expr: the expression.
        what: how error messages name it (``filter``, ``gate``, ``order_by``).

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
                raise syntax_error(expr, i, f"invalid number '{bad[0] if bad else m[0]}'", what)
            number = m[0]
            value = int(number) if number.isdigit() else float(number)
            tokens.append(Token("NUMBER", value, i, m.end()))
            i = m.end()
        elif ch == "`" or (m := _WORD_RE.match(expr, i)) is not None:
            token = _read_name(expr, i, what)
            tokens.append(token)
            i = token.end
        else:
            raise syntax_error(expr, i, f"unexpected character {ch!r}", what)
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
            # As in MLflow: no escapes, but a backslash keeps the next character (even a
            # quote) inside the string, both as typed.
            out.append(expr[i : i + 2])
            i += 2
            continue
        out.append(ch)
        i += 1
    raise syntax_error(expr, start, f"unterminated string; expected a closing {quote}", what)


def _read_name(expr: str, start: int, what: str) -> Token:
    """Read a word or backquoted key, and any ``.part`` after it (bare or quoted)."""
    if expr[start] == "`":
        word, i = _read_quoted(expr, start, what)
        if not word:
            raise syntax_error(expr, start, "expected a key between the quotes, found none", what)
        if i >= len(expr) or expr[i] != ".":
            detail = f"expected '.' and a key after '{expr[start:i]}'"
            raise syntax_error(expr, i, detail, what)
    else:
        m = _WORD_RE.match(expr, start)
        assert m is not None
        word, i = m[0], m.end()
    parts = [word]
    while i < len(expr) and expr[i] == ".":
        i += 1
        if i < len(expr) and expr[i] in '`"':
            key, i = _read_quoted(expr, i, what)
            if not key:
                detail = "expected a key between the quotes, found none"
                raise syntax_error(expr, i - 2, detail, what)
            parts.append(key)
        elif (m := _KEY_RE.match(expr, i)) is not None:
            parts.append(m[0])
            i = m.end()
        else:
            if i == len(expr):
                found = "the end of the " + what
            else:
                found = "a space" if expr[i].isspace() else f"'{expr[i]}'"
            detail = f"expected a key after '{expr[start:i]}', found {found}"
            raise syntax_error(expr, i, detail, what)
    if len(parts) == 1 and expr[start] != "`" and word.upper() in KEYWORDS:
        return Token("KEYWORD", word.upper(), start, i)
    return Token("NAME", tuple(parts), start, i)


class Cursor:
    """A position in the tokens of ``expr``, with the helpers every parser here shares."""

    def __init__(self, expr: str, what: str) -> None:
        self.expr = expr
        self.what = what
        self.tokens = tokenize(expr, what=what)
        self.i = 0

    @property
    def tok(self) -> Token:
        """The current token."""
        return self.tokens[self.i]

    def advance(self) -> Token:
        """Return the current token and move past it."""
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, *kinds: TokenKind) -> bool:
        """Whether the current token is of one of ``kinds``."""
        return self.tokens[self.i].kind in kinds

    def at_keyword(self, *words: str) -> bool:
        """Whether the current token is one of the keywords ``words``."""
        return self.at("KEYWORD") and self.tok.value in words

    def at_arith(self, *ops: str) -> bool:
        """Whether the current token is one of the arithmetic operators ``ops``."""
        return self.at("ARITH") and self.tok.value in ops

    def found(self) -> str:
        """How an error names the current token: strings as typed, the rest in quotes."""
        tok = self.tok
        if tok.kind == "EOF":
            return f"the end of the {self.what}"
        text = self.expr[tok.start : tok.end]
        return text if tok.kind == "STRING" else f"'{text}'"

    def fail(self, pos: int, detail: str) -> FilterSyntaxError:
        """An error at ``pos`` of this expression."""
        return syntax_error(self.expr, pos, detail, self.what)

    def error(self, expected: str) -> FilterSyntaxError:
        """``expected <expected>, found <the current token>``, at the current token."""
        return self.fail(self.tok.start, f"expected {expected}, found {self.found()}")
