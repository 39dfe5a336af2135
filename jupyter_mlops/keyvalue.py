"""``KEY=VALUE`` text, read one way everywhere: split once, typed by what it sets.

Every face hands ``KEY=VALUE`` on as text; the value gets its type from its *target*:

- a notebook parameter: the type of the default in the notebook's ``parameters`` cell
  (``C = 1.0`` makes ``C=1`` the float ``1.0``; ``flag = False`` accepts ``true``/``True``/
  ``yes``/``1`` and their opposites; a ``str`` default keeps the text as typed);
- a tag: always the text as typed;
- anything without a declared type (a run param from ``%mlops param``, a parameter whose
  default is ``None``): :func:`literal` — JSON first (``0.5``, ``true``, ``null``, ``[1, 2]``,
  ``"quoted"``), then Python's spellings ``True``, ``False`` and ``None``; anything else is
  the text as typed.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_mlops.errors import MlopsUsageError

#: The target has no declared type: read the text with :func:`literal`.
UNTYPED: Any = None

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_PYTHON = {"True": True, "False": False, "None": None}


def split(text: str, *, form: str = "KEY=VALUE") -> tuple[str, str]:
    """``"C=0.5"`` as ``("C", "0.5")``; the value may itself hold ``=``.

    Raises:
        MlopsUsageError: no ``=``, or nothing before it.
    """
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise MlopsUsageError(f"expected {form}, not {text!r}")
    return key.strip(), value


def literal(text: str) -> Any:
    """The value ``text`` spells when it has no declared type (see the module docstring)."""
    stripped = text.strip()
    if stripped in _PYTHON:
        return _PYTHON[stripped]
    try:
        return json.loads(stripped)
    except ValueError:
        return text


def kind(like: Any) -> str:
    """The name of the type a value ``like`` asks for: ``any`` when it asks for none."""
    if like is None:
        return "any"
    if isinstance(like, bool):
        return "bool"
    if isinstance(like, int):
        return "int"
    if isinstance(like, float):
        return "float"
    if isinstance(like, str):
        return "str"
    if isinstance(like, list | tuple):
        return "list"
    if isinstance(like, dict):
        return "dict"
    return type(like).__name__


def fits(value: Any, like: Any) -> bool:
    """Whether ``value`` already has the type ``like`` asks for (an int fits a float)."""
    wanted = kind(like)
    if wanted == "any":
        return True
    if wanted == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if wanted == "list":
        return isinstance(value, list | tuple)
    return kind(value) == wanted


def typed(text: str, like: Any = UNTYPED) -> Any:
    """Read ``text`` as the type of ``like`` (see the module docstring).

    Raises:
        ValueError: ``text`` cannot be read as that type; the message names the type.
    """
    wanted = kind(like)
    if wanted == "str":
        return text
    if wanted == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected a whole number, not {text!r}") from None
    if wanted == "float":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"expected a number, not {text!r}") from None
    if wanted == "bool":
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"expected true or false, not {text!r}")
    value = literal(text)
    if not fits(value, like):
        raise ValueError(f"expected a {wanted} (JSON, e.g. [1, 2]), not {text!r}")
    return list(value) if wanted == "list" else value
