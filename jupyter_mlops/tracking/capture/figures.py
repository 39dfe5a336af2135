"""Capture matplotlib figures made in a tracked cell, as PNG artifacts.

Only when ``matplotlib.pyplot`` is already imported (capture never imports it). A figure is
saved when it was created during the cell, or existed before, had been drawn, and was changed
(``stale``) by the cell. Figures are saved when the cell ends, or earlier when they are closed
with ``plt.close`` in the cell (the inline backend closes every figure after showing it), and
are never closed by capture. Names: ``figures/cell<N>_fig<K>.png``, where ``N`` is the cell's
execution count (or the run's capture count outside IPython) and ``K`` counts the cell's
figures from 1; at most :data:`MAX_FIGURES` per cell.
"""

from __future__ import annotations

import functools
import io
import sys
import threading
import warnings
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jupyter_mlops.tracking.capture import patching

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Session

MAX_FIGURES = 100
_get_ident = threading.get_ident
_close_wrappers: dict[int, Callable[..., Any]] = {}


def _open_figures() -> list[Any]:
    helpers = sys.modules.get("matplotlib._pylab_helpers")
    if helpers is None:
        return []
    return [manager.canvas.figure for manager in helpers.Gcf.get_all_fig_managers()]


def _cell_number(session: Session) -> int:
    history = session.user_ns.get("In") if session.user_ns is not None else None
    if isinstance(history, list) and len(history) > 1:
        return len(history) - 1  # IPython's execution count while the cell runs
    return session.state.sessions


class FiguresPatcher:
    """Save the figures a cell creates or changes."""

    def __init__(self) -> None:
        self.before: dict[int, tuple[Callable[[], Any], bool]] | None = None
        self.saved: set[int] = set()
        self.count = 0

    def start(self, session: Session) -> None:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is None:
            return
        if self.before is None:
            self.before = {id(fig): (weakref.ref(fig), bool(fig.stale)) for fig in _open_figures()}
            session.scratch["figures"] = self
        current = vars(plt).get("close")
        if current is not None:
            original = patching.original_of(current)
            wrapper = _close_wrapper(original)
            session.patches.attrs([patching.entry(plt, "close", original, wrapper)])

    def stop(self, session: Session) -> None:
        if self.before is not None:
            self.save(session, _open_figures())

    def wanted(self, fig: Any) -> bool:
        """Whether ``fig`` was created, or changed after being drawn, during the cell."""
        if id(fig) in self.saved or self.before is None:
            return False
        old = self.before.get(id(fig))
        if old is None or old[0]() is not fig:
            return True
        return not old[1] and bool(fig.stale)

    def save(self, session: Session, figures: list[Any]) -> None:
        """Save the wanted ``figures`` as PNG artifacts."""
        for fig in figures:
            if self.count >= MAX_FIGURES or not self.wanted(fig):
                continue
            self.saved.add(id(fig))
            self.count += 1
            buffer = io.BytesIO()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # layout warnings are the notebook's business
                fig.savefig(buffer, format="png", bbox_inches="tight")
            name = f"figures/cell{_cell_number(session)}_fig{self.count}.png"
            session.run.log_artifact(buffer.getvalue(), name, kind="figure", media_type="image/png")

    def closing(self, session: Session, target: Any) -> None:
        """Save the figures ``plt.close(target)`` is about to close."""
        figures = _open_figures()
        if isinstance(target, str) and target == "all":
            chosen = figures
        elif target is None:
            helpers = sys.modules.get("matplotlib._pylab_helpers")
            manager = helpers.Gcf.get_active() if helpers is not None else None
            chosen = [] if manager is None else [manager.canvas.figure]
        elif isinstance(target, int):
            chosen = [f for f in figures if getattr(f, "number", None) == target]
        elif isinstance(target, str):
            chosen = [f for f in figures if f.get_label() == target]
        else:
            chosen = [f for f in figures if f is target]
        self.save(session, chosen)


def _close_wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
    cached = _close_wrappers.get(id(original))
    if cached is not None:
        return cached

    @functools.wraps(original)
    def close(*args: Any, **kwargs: Any) -> Any:
        session = patching._top
        if session is not None and session.thread == _get_ident():
            patcher = session.scratch.get("figures")
            if isinstance(patcher, FiguresPatcher):
                target = args[0] if args else kwargs.get("fig")
                session.depth += 1
                try:
                    session.guard("figures", patcher.closing, session, target)
                finally:
                    session.depth -= 1
        return original(*args, **kwargs)

    _close_wrappers[id(original)] = close
    patching.WRAPPERS[id(close)] = (close, original)
    return close
