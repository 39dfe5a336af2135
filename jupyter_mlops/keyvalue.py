"""``KEY=VALUE`` text, read one way everywhere: split once, typed by what it sets.

Every face hands ``KEY=VALUE`` on as text; the value gets its type from its *target*:

- a notebook parameter (``jupyter-mlops run -p``, a schedule's ``-p``, a pipeline step's
  ``-p STEP.KEY=VALUE``): the type of the default in the notebook's ``parameters`` cell.
  ``C = 1.0`` makes ``C=1`` the float ``1.0``; ``n = 3`` wants a whole number;
  ``flag = False`` accepts ``true``/``True``/``yes``/``1`` and their opposites; a ``str``
  default keeps the text as typed; a list or dict default reads JSON (``["a", "b"]``) or
  YAML's flow syntax (``[a, b]``, ``{k: 1}``);
- a tag: always the text as typed;
- anything without a declared type (a run param from ``%mlops param``, a parameter whose
  default is ``None``): :func:`literal` — JSON first (``0.5``, ``true``, ``null``, ``[1, 2]``,
  ``"quoted"``), then Python's spellings ``True``, ``False`` and ``None``; anything else is
  the text as typed.

A value that is not text (a JSON number, list or ``true`` in a REST body, a value a schedule
stored) is not read again: it must already have the target's type (an int fits a float and
becomes one). :func:`text` is the inverse of :func:`typed`: the text that reads back as a
given value, for a command line such as ``schedule export`` writes.
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


def _flow(text: str) -> Any:
    # Imported here: only a list or dict parameter given as YAML flow text needs it.
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def typed(value: Any, like: Any = UNTYPED) -> Any:
    """Read text ``value`` as the type of ``like``; check a value that is not text.

    Raises:
        ValueError: ``value`` cannot be read as (or does not have) that type; the message
            names the type.
    """
    wanted = kind(like)
    if not isinstance(value, str):
        if not fits(value, like):
            raise ValueError(f"expected {_a(wanted)}, not {value!r}")
        if wanted == "float":
            return float(value)
        return list(value) if wanted == "list" else value
    if wanted == "str":
        return value
    if wanted == "int":
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"expected a whole number, not {value!r}") from None
    if wanted == "float":
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"expected a number, not {value!r}") from None
    if wanted == "bool":
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"expected true or false, not {value!r}")
    found = literal(value)
    if wanted in ("list", "dict") and not fits(found, like):
        found = _flow(value)
    if not fits(found, like):
        raise ValueError(f"expected {_a(wanted)} (JSON, e.g. [1, 2]), not {value!r}")
    return list(found) if wanted == "list" else found


def text(value: Any, like: Any = UNTYPED) -> str:
    """The text that :func:`typed` reads back as ``value`` for a target like ``like``."""
    if isinstance(value, str):
        if kind(like) == "str":
            return value
        found = literal(value)
        if isinstance(found, str) and found == value:
            return value
    # NaN and the infinities as JSON's extension spells them, which float() reads too.
    return json.dumps(value, ensure_ascii=False)


def _a(wanted: str) -> str:
    names = {"int": "whole number", "float": "number", "bool": "true or false"}
    name = names.get(wanted, wanted)
    return name if wanted == "bool" else f"a {name}"
