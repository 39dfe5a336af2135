"""Charts for the panels, drawn with matplotlib's object API into PNG bytes.

``Figure`` is used directly (no pyplot), so no GUI backend starts and nothing leaks into the
notebook's own ``plt`` state.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: A curve: (step, value) points in step order.
Curve = Sequence[tuple[float, float]]


def to_png(fig: Figure, *, dpi: int = 80) -> bytes:
    """Render ``fig`` to PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def curves(series: Mapping[str, Curve], *, title: str, ylabel: str = "") -> bytes:
    """Lines of value against step, one per label (a metric's history, or runs overlaid)."""
    # start-up: matplotlib (~400 ms) loads when the first chart is drawn
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(5, 2.6))
    ax = fig.add_subplot()
    for label, points in series.items():
        ax.plot([p[0] for p in points], [p[1] for p in points], marker=".", label=label)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("step")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole numbers
    if ylabel:
        ax.set_ylabel(ylabel)
    if 1 < len(series) <= 12:
        ax.legend(fontsize="x-small")
    fig.tight_layout()
    return to_png(fig)


def parallel(
    columns: Sequence[str], rows: Mapping[str, Sequence[float]], *, colour_by: Sequence[float]
) -> bytes:
    """Parallel coordinates: one line per run across ``columns`` (each scaled to 0..1).

    Args:
        columns: axis names, the chosen metric last.
        rows: label -> one value per column (NaN where a run lacks it).
        colour_by: one number per row (the metric), mapped to a colour scale.
    """
    # start-up: matplotlib (~400 ms) loads when the first chart is drawn
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    fig = Figure(figsize=(max(4.0, 1.4 * len(columns)), 3))
    ax = fig.add_subplot()
    spans = []
    for j in range(len(columns)):
        present = [v[j] for v in rows.values() if not math.isnan(v[j])]
        low, high = (min(present), max(present)) if present else (0.0, 1.0)
        spans.append((low, high - low or 1.0))
    finite = [c for c in colour_by if not math.isnan(c)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    cmap = colormaps["viridis"]
    for (label, values), c in zip(rows.items(), colour_by, strict=True):
        ys = [(v - spans[j][0]) / spans[j][1] for j, v in enumerate(values)]
        shade = 0.5 if math.isnan(c) else (c - low) / ((high - low) or 1.0)
        ax.plot(range(len(columns)), ys, color=cmap(shade), marker="o", label=label)
    ax.set_xticks(range(len(columns)), [c.split(".", 1)[-1] for c in columns], fontsize=8)
    for j, (base, width) in enumerate(spans):
        ax.annotate(f"{base:.3g}", (j, 0), fontsize=7, color="#666")
        ax.annotate(f"{base + width:.3g}", (j, 1), fontsize=7, color="#666")
    ax.set_yticks([])
    ax.set_title(f"params → {columns[-1]}", fontsize=10)
    fig.tight_layout()
    return to_png(fig)


def step_times(labels: Sequence[str], durations: Sequence[float]) -> bytes:
    """Horizontal bars of durations in seconds (pipeline steps)."""
    # start-up: matplotlib (~400 ms) loads when the first chart is drawn
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 0.4 + 0.3 * max(len(labels), 1)))
    ax = fig.add_subplot()
    ax.barh(list(labels), list(durations), color="#2f6fdb")
    ax.invert_yaxis()
    ax.set_xlabel("seconds")
    fig.tight_layout()
    return to_png(fig)
