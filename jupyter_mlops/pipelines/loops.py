"""Run blocking notebook execution from code that may itself be inside an event loop.

Used to execute a notebook or a pipeline from a scheduler tick or a monitor's action, which may
be called from a notebook cell or a Jupyter server extension.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def off_event_loop(fn: Callable[[], T]) -> T:
    """Call ``fn``; in a thread of its own when this thread runs an asyncio loop.

    nbclient drives kernels with ``asyncio.run``-style helpers that refuse to run inside a
    running loop, which is where a notebook (``Scheduler.tick()`` in a cell) or a Jupyter
    server extension calls from.

    Returns:
        What ``fn`` returned; what it raised is raised here.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn()
    box: dict[str, T] = {}
    error: list[BaseException] = []

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=target, name="mlops-schedule-exec", daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return box["value"]
