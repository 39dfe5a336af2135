"""Self-contained HTML for drift reports: tables and inline SVG charts, no network."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

_STYLE = """
<style>
.mlops-drift{font-family:system-ui,-apple-system,Segoe UI,sans-serif;font-size:13px;color:#222}
.mlops-drift table{border-collapse:collapse;margin:8px 0}
.mlops-drift th,.mlops-drift td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}
.mlops-drift .yes{color:#b00020;font-weight:600}.mlops-drift .no{color:#1b7f3b}
.mlops-drift .na{color:#777}.mlops-drift svg{display:block}
</style>
"""
REF, CUR = "#9aa5b1", "#2f6fdb"


def fmt(value: Any) -> str:
    """A number for humans; blanks for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isinf(value):
            return "inf"
        return f"{value:.4g}"
    return html.escape(str(value))


def bars_svg(labels: Sequence[str], ref: Sequence[float], cur: Sequence[float]) -> str:
    """Side-by-side bars of reference and current shares, one pair per label."""
    width, height, pad = 360, 120, 18
    n = max(len(labels), 1)
    top = max([*ref, *cur, 1e-12])
    slot = (width - 2 * pad) / n
    bar = max(slot / 2 - 1, 0.5)
    parts = [
        f'<svg width="{width}" height="{height + 16}" '
        f'viewBox="0 0 {width} {height + 16}" role="img">'
    ]
    for i, label in enumerate(labels):
        x = pad + i * slot
        for j, (share, color) in enumerate(((ref[i], REF), (cur[i], CUR))):
            h = (height - pad) * share / top
            parts.append(
                f'<rect x="{x + j * bar:.1f}" y="{height - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{color}"><title>{html.escape(label)}: '
                f"{'reference' if j == 0 else 'current'} {share:.3%}</title></rect>"
            )
    parts.append(
        f'<line x1="{pad}" y1="{height}" x2="{width - pad}" y2="{height}" stroke="#888"/>'
        f'<text x="{pad}" y="{height + 13}" font-size="10">'
        f"{html.escape(labels[0]) if labels else ''}"
        f'</text><text x="{width - pad}" y="{height + 13}" font-size="10" text-anchor="end">'
        f"{html.escape(labels[-1]) if labels else ''}</text></svg>"
    )
    return "".join(parts)


def page(title: str, body: str) -> str:
    """A complete HTML document."""
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"</head><body>{body}</body></html>"
    )


def section(summary: str, table_head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A styled block: a summary line and a table whose cells are already HTML."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table_head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f'{_STYLE}<div class="mlops-drift"><p>{summary}</p>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def legend() -> str:
    return (
        f'<span style="color:{REF}">&#9632;</span> reference '
        f'<span style="color:{CUR}">&#9632;</span> current'
    )
