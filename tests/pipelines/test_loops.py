"""off_event_loop: blocking notebook code called from inside a running asyncio loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from jupyter_mlops.pipelines.loops import off_event_loop


def test_without_a_loop_the_function_runs_in_this_thread() -> None:
    assert off_event_loop(threading.current_thread) is threading.current_thread()


def test_inside_a_loop_it_runs_in_a_thread_of_its_own() -> None:
    async def main() -> tuple[threading.Thread, threading.Thread]:
        return threading.current_thread(), off_event_loop(threading.current_thread)

    caller, callee = asyncio.run(main())
    assert callee is not caller
    assert callee.name == "mlops-schedule-exec"


def test_what_the_function_raises_is_raised_in_the_caller() -> None:
    def fail() -> None:
        raise ValueError("from the thread")

    async def main() -> None:
        off_event_loop(fail)

    with pytest.raises(ValueError, match="from the thread"):
        asyncio.run(main())
