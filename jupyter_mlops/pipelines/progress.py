"""Live progress of a pipeline run: lines (or tqdm) in a terminal, an HTML table in a notebook.

The notebook display is plain HTML updated through an IPython display handle, so it needs no
ipywidgets and the saved notebook keeps the final table.
"""

from __future__ import annotations

import html
import importlib
import sys
import threading
import time
from typing import IO, Any, Protocol

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


class HtmlProgress:
    """A table of steps in a notebook, updated in place through a display handle."""

    def __init__(self) -> None:
        self._states: dict[str, tuple[str, str]] = {}
        self._name = ""
        self._handle: Any = None
        self._status = "running"

    def render(self) -> str:
        """The HTML table of the current states."""
        rows = "".join(
            f"<tr><td>{html.escape(step)}</td><td>{SYMBOLS.get(st, '')} {html.escape(st)}</td>"
            f"<td>{html.escape(detail)}</td></tr>"
            for step, (st, detail) in self._states.items()
        )
        return (
            f"<div class='mlops-pipeline'><b>pipeline {html.escape(self._name)}</b> "
            f"({html.escape(self._status)})<table><tr><th>step</th><th>status</th>"
            f"<th>detail</th></tr>{rows}</table></div>"
        )

    def _show(self) -> None:
        from IPython.display import HTML, display

        content = HTML(self.render())  # type: ignore[no-untyped-call]
        if self._handle is None:
            self._handle = display(content, display_id=True)  # type: ignore[no-untyped-call]
        else:
            self._handle.update(content)

    def start(self, name: str, steps: dict[str, str]) -> None:
        self._name = name
        self._states = {step: (status, "") for step, status in steps.items()}
        self._show()

    def update(self, step: str, status: str, detail: str = "") -> None:
        self._states[step] = (status, detail)
        self._show()

    def close(self, status: str) -> None:
        self._status = status
        self._show()
