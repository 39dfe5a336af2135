"""Live progress of a pipeline run: lines (or tqdm) in a terminal, a panel in a notebook.

The notebook panel (:mod:`jupyter_mlops.widgets.pipeline`) is imported only when asked for,
so the CLI never loads ipywidgets.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from jupyter_mlops.pipelines.spec import Pipeline

SYMBOLS = {
    "queued": "·",
    "running": "▶",
    "cached": "≡",
    "ok": "✓",
    "failed": "✗",
    "skipped": "-",
}


class Progress(Protocol):
    """Receives step state changes from the runner (called from one thread at a time)."""

    def start(self, name: str, steps: dict[str, str]) -> None: ...

    def update(self, step: str, status: str, detail: str = "") -> None: ...

    def close(self, status: str) -> None: ...


class NullProgress:
    """Shows nothing."""

    def start(self, name: str, steps: dict[str, str]) -> None:
        pass

    def update(self, step: str, status: str, detail: str = "") -> None:
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

    def start(self, name: str, steps: dict[str, str]) -> None:
        want = self._want_bar
        if want is None:
            want = bool(getattr(self.stream, "isatty", lambda: False)())
        if want:
            try:
                tqdm: Any = importlib.import_module("tqdm").tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=len(steps), desc=name, unit="step", file=self.stream)
        self._print(f"pipeline {name}: {len(steps)} step(s)")

    def update(self, step: str, status: str, detail: str = "") -> None:
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


def notebook_progress(pipeline: Pipeline | None = None, *, env: str | None = None) -> Progress:
    """Live progress in a notebook: the pipeline panel (DAG, step states, output notebooks).

    The panel is displayed when the run starts and its display is updated at each change, so a
    saved notebook keeps the final states as static HTML.
    """
    from jupyter_mlops.widgets.pipeline import PipelinePanel

    needs = {name: step.needs for name, step in pipeline.steps.items()} if pipeline else {}
    return PipelinePanel(needs=needs, env=env, show=True).progress
