"""Who made a patched call: the notebook's own code, or a library it called.

Capture records only calls made by the user's code — a cell, a function defined in the notebook,
a module of the user's project — never those a library makes internally (the ``LabelEncoder``
that ``classification_report`` fits, the fold clones of ``cross_val_predict``). A file counts as
library code when it lies in the standard library, in an installed package (site-packages), or
in jupyter_mlops itself.
"""

from __future__ import annotations

import contextlib
import os
import site
import sysconfig
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import Any

#: Frames of comprehensions and lambdas belong to the code around them.
_INLINE = frozenset({"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>", "<lambda>"})
_MODULE = "<module>"

_library: dict[str, bool] = {}
_prefixes: tuple[str, ...] | None = None


def _library_prefixes() -> tuple[str, ...]:
    global _prefixes
    if _prefixes is None:
        paths = sysconfig.get_paths()
        found = {
            paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths
        }
        with contextlib.suppress(AttributeError):  # virtualenvs made by old tools lack it
            found.update(site.getsitepackages())
        found.add(site.getusersitepackages())
        found.add(str(Path(__file__).parents[2]))  # jupyter_mlops itself
        _prefixes = tuple(os.path.realpath(p).rstrip(os.sep) + os.sep for p in found if p)
    return _prefixes


def is_library_file(filename: str) -> bool:
    """Whether code from ``filename`` is library code (cached per file name)."""
    hit = _library.get(filename)
    if hit is None:
        if filename.startswith("<"):  # a cell, exec'd text, a frozen module
            hit = filename.startswith("<frozen")
        else:
            hit = os.path.realpath(filename).startswith(_library_prefixes())
        _library[filename] = hit
    return hit


def from_user(frame: FrameType | None, user_ns: Mapping[str, Any] | None) -> bool:
    """Whether ``frame`` (the caller of a patched function) is the user's code."""
    if frame is None:
        return True
    if user_ns is not None and frame.f_globals is user_ns:
        return True
    return not is_library_file(frame.f_code.co_filename)


def helper_of(frame: FrameType | None, user_ns: Mapping[str, Any] | None) -> str | None:
    """The user's function the cell called that led to ``frame``, or None for the cell itself.

    Walks out from ``frame`` to the cell's (or script's) top-level code and returns the
    qualified name of the outermost user function on the way: ``evaluate`` when the cell
    called ``evaluate(model)`` which called ``accuracy_score`` in a loop.
    """
    helper = None
    while frame is not None:
        code = frame.f_code
        if code.co_name == _MODULE:
            break
        if code.co_name not in _INLINE and from_user(frame, user_ns):
            helper = code.co_qualname
        frame = frame.f_back
    return helper
