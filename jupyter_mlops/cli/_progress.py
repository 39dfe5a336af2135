"""A one-line progress bar on stderr for a long command (``import``/``export mlflow``)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO, TypeVar

from jupyter_mlops.interop.progress import Progress

T = TypeVar("T")

_WIDTH = 30


class ProgressBar:
    """Redraws ``[#####.....] 120/300 runs  churn`` in place, at most ten times a second."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.last = 0.0
        self.drawn = False

    def __call__(self, event: Progress) -> None:
        now = time.monotonic()
        final = event.total is not None and event.done >= event.total
        if not final and now - self.last < 0.1:
            return
        self.last = now
        if event.total:
            filled = min(_WIDTH, _WIDTH * event.done // event.total)
            bar = f"[{'#' * filled}{'.' * (_WIDTH - filled)}] {event.done}/{event.total} runs"
        else:
            bar = f"{event.done} runs"
        label = event.line.split(":", 1)[0]
        self.stream.write(f"\r{bar}  {label}"[:120].ljust(80))
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """End the bar's line, so what follows starts on its own."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def wanted(forced: bool, stream: TextIO | None = None) -> bool:
    """A bar is drawn on a terminal, or anywhere when ``--progress`` asks for it."""
    return forced or (stream or sys.stderr).isatty()


def with_progress(forced: bool, call: Callable[[ProgressBar | None], T]) -> T:
    """``call(bar)`` with a progress bar on stderr when one is wanted, closed afterwards."""
    bar = ProgressBar() if wanted(forced) else None
    try:
        return call(bar)
    finally:
        if bar is not None:
            bar.close()
