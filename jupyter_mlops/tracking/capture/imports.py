"""Notice imports made by a tracked cell, so ``import sklearn`` and a fit in one cell both count.

Patchers act only on modules already imported when a cell starts (capture never imports a
library itself). While a session is active, ``builtins.__import__`` is wrapped: when a
top-level import statement of the cell loads new modules, the session's patchers are started
again, before the statement binds its names, so ``from sklearn.metrics import f1_score`` binds
the recording wrapper and a class imported in the cell has its ``fit`` patched.
"""

from __future__ import annotations

import builtins
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jupyter_mlops.tracking.capture import patching

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Session

_get_ident = threading.get_ident
_wrappers: dict[int, Callable[..., Any]] = {}


def _watching(original: Callable[..., Any]) -> Callable[..., Any]:
    cached = _wrappers.get(id(original))
    if cached is not None:
        return cached

    def __import__(  # noqa: N807 - it replaces builtins.__import__
        name: str,
        globals: dict[str, Any] | None = None,
        locals: dict[str, Any] | None = None,
        fromlist: tuple[str, ...] | list[str] = (),
        level: int = 0,
    ) -> Any:
        session = patching._top
        if session is None or session.depth or session.thread != _get_ident():
            return original(name, globals, locals, fromlist, level)
        before = len(sys.modules)
        session.depth += 1  # imports nested inside this one go straight through
        try:
            module = original(name, globals, locals, fromlist, level)
        finally:
            session.depth -= 1
        if len(sys.modules) != before:
            session.refresh()
        return module

    __import__.__wrapped__ = original  # type: ignore[attr-defined]
    _wrappers[id(original)] = __import__
    _wrappers[id(__import__)] = __import__
    patching.WRAPPERS[id(__import__)] = (__import__, original)
    return __import__


class ImportWatcher:
    """Restart the session's patchers after the cell imports new modules."""

    def start(self, session: Session) -> None:
        original = builtins.__dict__["__import__"]
        wrapper = _watching(original)
        if wrapper is not original:
            session.patches.attrs([patching.entry(builtins, "__import__", original, wrapper)])

    def stop(self, session: Session) -> None:
        """Nothing to finish; the session undoes the patch."""
