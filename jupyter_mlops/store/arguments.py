"""Checks of what a caller of the Python API passed, before it reaches a query.

A wrong type is the user's mistake: one line naming the argument (``MlopsUsageError``),
never a ``TypeError`` from deep inside SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence

from jupyter_mlops.errors import MlopsUsageError


def as_list(value: str | Sequence[str] | None, what: str) -> list[str]:
    """``value`` (one string, strings, or None) as a list."""
    if value is None:
        return []
    try:
        items = [value] if isinstance(value, str) else list(value)
    except TypeError:
        items = [value]  # type: ignore[list-item]  # refused just below
    if isinstance(value, bytes) or not all(isinstance(i, str) for i in items):
        raise MlopsUsageError(f"{what} takes a string or a list of strings, not {value!r}.")
    return items


def page_bounds(limit: object, offset: object) -> None:
    """Refuse a limit or offset that is not a whole number from 0 (a limit may be None)."""
    for what, number in (("limit", limit), ("offset", offset)):
        if what == "limit" and number is None:
            continue
        if not isinstance(number, int) or isinstance(number, bool):
            raise MlopsUsageError(f"{what} must be a whole number, not {number!r}.")
        if number < 0:
            raise MlopsUsageError(f"{what} must be zero or more, got {number}.")
