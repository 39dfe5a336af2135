"""Live progress of a pipeline run: what the runner tells a renderer, and the terminal renderer.

The runner reports to a :class:`Progress` renderer: the run starting (every step in its planned
state, the DAG), each step changing state, and the run ending. :class:`LineProgress` prints one
line per change (with a tqdm bar on an interactive terminal); the notebook panel
(:class:`jupyter_mlops.widgets.pipeline.PipelinePanel`) is another renderer, which the notebook
face passes in. Without one the runner prints lines.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO, Any, Protocol

SYMBOLS = {
    "queued": "·",
    "running": "▶",
    "cached": "≡",
    "ok": "✓",
    "failed": "✗",
    "skipped": "-",
}


@dataclass(frozen=True)
class StepEvent:
    """A step in a new state: ``queued``, ``running``, ``cached``, ``ok``, ``failed`` or
    ``skipped``.

    ``detail`` says why in a few words (the attempt, the duration, the error line, the upstream
    step that failed); ``notebook`` is the step's executed notebook once it ran (a cached step's:
    the one it reuses).
    """

    step: str
    status: str
    detail: str = ""
    notebook: str | None = None


@dataclass(frozen=True)
class PipelineStart:
    """A pipeline run that starts: its steps in run order, each in its planned state."""

    name: str
    env: str | None
    pipeline_run_id: str
    steps: tuple[StepEvent, ...]
    #: step -> the steps it needs (the DAG)
    needs: dict[str, tuple[str, ...]]


class Progress(Protocol):
    """A renderer of a pipeline run's progress (the runner calls it from one thread at a time)."""

    def start(self, run: PipelineStart) -> None:
        """The run starts."""

    def update(self, event: StepEvent) -> None:
        """A step changed state."""

    def close(self, status: str) -> None:
        """The run ended ``ok`` or ``failed``."""


class NullProgress:
    """Shows nothing."""

    def start(self, run: PipelineStart) -> None:
        pass

    def update(self, event: StepEvent) -> None:
        pass

    def close(self, status: str) -> None:
        pass


class LineProgress:
    """One line per state change (CI logs), with a tqdm bar on an interactive terminal."""

    def __init__(self, stream: IO[str] | None = None, *, bar: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self._bar: Any = None
        self._want_bar = bar
        self._done = 0
        self._lock = threading.Lock()
        self._started = time.monotonic()

    def _print(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def start(self, run: PipelineStart) -> None:
        want = self._want_bar
        if want is None:
            want = bool(getattr(self.stream, "isatty", lambda: False)())
        if want:
            try:
                tqdm: Any = importlib.import_module("tqdm").tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                total = len(run.steps)
                self._bar = tqdm(total=total, desc=run.name, unit="step", file=self.stream)
        # The id is what `jupyter-mlops cancel` takes, from another shell.
        self._print(f"pipeline {run.name}: {len(run.steps)} step(s), run {run.pipeline_run_id[:8]}")
        for event in run.steps:  # what will not run says so, and why
            if event.status in ("cached", "skipped"):
                self.update(event)

    def update(self, event: StepEvent) -> None:
        step, status, detail = event.step, event.status, event.detail
        with self._lock:
            mark = SYMBOLS.get(status, "?")
            try:
                mark.encode(getattr(self.stream, "encoding", None) or "ascii")
            except (UnicodeEncodeError, LookupError):
                mark = status[:1]
            suffix = f"  {detail}" if detail else ""
            self._print(f"  {mark} {step:<20} {status}{suffix}")
            if status in ("ok", "cached", "failed", "skipped") and self._bar is not None:
                self._bar.update(1)

    def close(self, status: str) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elapsed = time.monotonic() - self._started
        print(f"pipeline {status} in {elapsed:.1f} s", file=self.stream, flush=True)
