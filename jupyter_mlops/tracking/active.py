"""The runs in progress in this process, innermost last: ``active_run()`` is the top one."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jupyter_mlops.tracking.run import Run

_stack: list[Run] = []
_stack_lock = threading.Lock()


def push(run: Run) -> None:
    """Make ``run`` the active run (until it ends or is popped)."""
    with _stack_lock:
        _stack.append(run)


def pop(run: Run) -> None:
    """Take ``run`` off the stack, wherever it is in it (no error when it is not there)."""
    with _stack_lock:
        if run in _stack:
            _stack.remove(run)


def active_run() -> Run | None:
    """The innermost run in progress in this process, or None."""
    with _stack_lock:
        return _stack[-1] if _stack else None


def in_progress(run_id: str) -> Run | None:
    """Run ``run_id`` if it is in progress in this process (its buffer may hold records)."""
    with _stack_lock:
        return next((r for r in reversed(_stack) if r.id == run_id), None)
