"""The param-vs-metric scatter of the comparison panel, drawn with matplotlib into PNG bytes."""

from __future__ import annotations

from collections.abc import Sequence

from jupyter_mlops.widgets._charts import to_png


def scatter(xs: Sequence[float | str], ys: Sequence[float], *, x_label: str, y_label: str) -> bytes:
    """One dot per run: ``xs`` numbers, or category names spread along the axis."""
    # start-up: matplotlib (~400 ms) loads when the first chart is drawn
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 3))
    ax = fig.add_subplot()
    if all(isinstance(x, float) for x in xs):
        ax.scatter(list(xs), list(ys), s=14, alpha=0.7)
    else:
        names = sorted({str(x) for x in xs})
        place = {name: i for i, name in enumerate(names)}
        ax.scatter([place[str(x)] for x in xs], list(ys), s=14, alpha=0.7)
        ax.set_xticks(range(len(names)), names, fontsize=8, rotation=30)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(f"{y_label} by {x_label} ({len(ys):,} runs)", fontsize=10)
    fig.tight_layout()
    return to_png(fig)
