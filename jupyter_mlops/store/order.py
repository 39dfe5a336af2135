"""Text ordering that is the same on every backend."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String


class code_point(FunctionElement[str]):  # noqa: N801 - reads like the SQL function it renders
    """``column`` sorted by code point: PostgreSQL would follow the server's locale
    (``en_US``: ``alpha`` before ``Beta``) where SQLite compares bytes (``Beta`` first)."""

    type = String()
    inherit_cache = True
    name = "code_point"


@compiles(code_point)
def _plain(element: code_point, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(code_point, "postgresql")
def _postgresql(element: code_point, compiler: Any, **kw: Any) -> str:
    return f'({compiler.process(element.clauses, **kw)}) COLLATE "C"'
