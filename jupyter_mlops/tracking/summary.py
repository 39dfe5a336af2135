"""The one-line summary shown after a tracked cell or ``%mlops stop``.

``✓ run brisk-otter-42 (a1b2c3d4) · 6 params · 2 metrics · 1 model · 2 datasets · 0.41 s``

and, when the run relied on hidden notebook state, a second line naming the cells:

``⚠ hidden state: X comes from cell [7], which is below this cell in the notebook``
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from jupyter_mlops.tracking.run import Run

_MAX_ERROR = 200


@dataclass(frozen=True)
class RunSummary:
    """What a run captured, as one line of text (``repr``) or HTML (``_repr_html_``)."""

    name: str
    short_id: str
    status: str
    duration: float
    params: int = 0
    metrics: int = 0
    models: int = 0
    datasets: int = 0
    figures: int = 0
    artifacts: int = 0
    cells: int | None = None
    error: str | None = None
    unstored_models: int = 0
    hidden_state: str | None = None

    @classmethod
    def of(
        cls,
        run: Run,
        *,
        duration: float,
        cells: int | None = None,
        error: str | None = None,
        hidden_state: str | None = None,
        status: str | None = None,
    ) -> RunSummary:
        """Summarize ``run`` after ``duration`` seconds; ``error`` is its traceback, if any;
        ``hidden_state`` what its cells relied on (:mod:`~jupyter_mlops.tracking.hidden_state`);
        ``status`` the one it ends with, when it ends after the summary is shown."""
        got = run.captured
        return cls(
            name=run.name,
            short_id=run.short_id,
            status=status or run.status,
            duration=duration,
            params=got.params,
            metrics=got.metrics,
            models=len(got.models),
            datasets=got.datasets,
            figures=got.figures,
            artifacts=got.artifacts,
            cells=cells,
            error=error_line(error),
            unstored_models=len(got.unstored_models),
            hidden_state=hidden_state,
        )

    @property
    def ok(self) -> bool:
        return self.status in ("finished", "running")

    def counts(self) -> list[str]:
        """``["3 cells", "6 params", …]``, leaving out what is zero."""
        items = [
            ("cell", self.cells or 0),
            ("param", self.params),
            ("metric", self.metrics),
            ("model", self.models),
            ("dataset", self.datasets),
            ("figure", self.figures),
            ("artifact", self.artifacts),
        ]
        counts = [f"{n} {noun}{'' if n == 1 else 's'}" for noun, n in items if n]
        if self.unstored_models:
            n = self.unstored_models
            counts.append(f"{n} model{'' if n == 1 else 's'} not stored (over max_model_size)")
        return counts

    def __str__(self) -> str:
        mark = "✓" if self.ok else "✗"
        head = f"{mark} run {self.name} ({self.short_id})"
        if not self.ok:
            head += f" {self.status}"
        parts = [head, *self.counts(), format_seconds(self.duration)]
        if self.error:
            parts.append(self.error)
        line = " · ".join(parts)
        if self.hidden_state:
            line += f"\n⚠ hidden state: {self.hidden_state}"
        return line

    __repr__ = __str__

    def _repr_html_(self) -> str:
        color = "#2e7d32" if self.ok else "#c62828"
        mark = "✓" if self.ok else "✗"
        status = "" if self.ok else f" <b style='color:{color}'>{html.escape(self.status)}</b>"
        parts = [
            f"<span style='color:{color}'>{mark}</span> run <b>{html.escape(self.name)}</b> "
            f"<code>{html.escape(self.short_id)}</code>{status}",
            *map(html.escape, self.counts()),
            format_seconds(self.duration),
        ]
        if self.error:
            parts.append(f"<span style='color:{color}'>{html.escape(self.error)}</span>")
        hidden = ""
        if self.hidden_state:
            hidden = (
                "<div class='mlops-hidden-state' style='color:#b26a00'>⚠ hidden state: "
                f"{html.escape(self.hidden_state)}</div>"
            )
        return (
            "<div class='mlops-summary' style='font-family: var(--jp-code-font-family, monospace);"
            " font-size: 0.9em'>" + " · ".join(parts) + hidden + "</div>"
        )


def error_line(error: str | None) -> str | None:
    """The last line of a traceback (``ZeroDivisionError: division by zero``), shortened."""
    if not error or not error.strip():
        return None
    line = error.strip().splitlines()[-1].strip()
    return line if len(line) <= _MAX_ERROR else line[: _MAX_ERROR - 1] + "…"


def format_seconds(seconds: float) -> str:
    """``0.41 s``, ``12.3 s``, ``2 min 5 s``."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"
