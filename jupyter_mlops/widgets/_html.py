"""Static HTML pieces shared by the panels: styles, tables, badges and inline images.

Everything here returns plain HTML strings with every value escaped, so a saved notebook or an
nbconvert page shows the panel's content without a kernel or widget JavaScript.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# JupyterLab's theme variables, so a panel follows Light and Dark; each has the light
# theme's value as a fallback for static HTML (nbconvert, a saved notebook on GitHub).
STYLE = """<style>
.mlops-panel{font-family:var(--jp-ui-font-family,system-ui,-apple-system,Segoe UI,sans-serif);
font-size:13px;color:var(--jp-ui-font-color1,#222)}
.mlops-panel table{border-collapse:collapse;margin:6px 0}
.mlops-panel th,.mlops-panel td{border-bottom:1px solid var(--jp-border-color2,#ddd);
padding:3px 8px;text-align:left;vertical-align:top;color:var(--jp-ui-font-color1,#222)}
.mlops-panel th{background:var(--jp-layout-color2,#f5f5f5)}
.mlops-panel .badge{display:inline-block;padding:0 6px;border-radius:8px;color:#fff;font-size:11px}
.mlops-panel .diff{background:#fff3bf;
background:color-mix(in srgb,var(--jp-warn-color1,#ff9800) 22%,var(--jp-layout-color1,#fff))}
.mlops-panel .bad{color:#b00020;font-weight:600}.mlops-panel .good{color:#1b7f3b}
.mlops-panel .note{color:var(--jp-ui-font-color2,#666)}
.mlops-panel .error{color:#b00020}
body[data-jp-theme-light="false"] .mlops-panel .bad,
body[data-jp-theme-light="false"] .mlops-panel .error{color:#ff8a80}
body[data-jp-theme-light="false"] .mlops-panel .good{color:#81c784}
.mlops-panel pre{background:var(--jp-layout-color2,#f7f7f7);color:var(--jp-ui-font-color1,#222);
padding:4px;max-height:300px;overflow:auto}
</style>"""

#: Colours of status and stage badges; anything else is grey.
BADGE_COLOURS = {
    "running": "#2f6fdb",
    "finished": "#1b7f3b",
    "ok": "#1b7f3b",
    "passed": "#1b7f3b",
    "promoted": "#1b7f3b",
    "production": "#1b7f3b",
    "cached": "#5c7cfa",
    "staging": "#e67700",
    "queued": "#868e96",
    "skipped": "#868e96",
    "failed": "#b00020",
    "killed": "#b00020",
    "refused": "#b00020",
    "error": "#b00020",
    "conflict": "#e67700",
}


def esc(text: str) -> str:
    """Escape text for an element's content (quotes stay readable)."""
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    """Escape text for an attribute value."""
    return html.escape(text, quote=True)


def fmt(value: Any) -> str:
    """A value for humans, escaped: floats to 6 significant digits, None as blank."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.6g}"
    return esc(str(value))


def badge(status: str) -> str:
    """A coloured pill for a run status, step state or model stage."""
    colour = BADGE_COLOURS.get(status, "#868e96")
    return (
        f'<span class="badge mlops-{attr(status)}" style="background:{colour}">{esc(status)}</span>'
    )


def table(
    head: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    row_classes: Sequence[str] | None = None,
    cls: str = "",
) -> str:
    """A table whose cells are already HTML; ``head`` is escaped here (empty: no header)."""
    header = "".join(f"<th>{esc(h)}</th>" for h in head)
    thead = f"<thead><tr>{header}</tr></thead>" if any(head) else ""
    body = []
    for i, row in enumerate(rows):
        extra = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        body.append(f"<tr{extra}>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    klass = f' class="{cls}"' if cls else ""
    return f"<table{klass}>{thead}<tbody>{''.join(body)}</tbody></table>"


def mapping_table(mapping: Mapping[str, Any], *, head: Sequence[str] = ("key", "value")) -> str:
    """A two-column table of ``mapping`` in key order."""
    return table(head, [[esc(str(k)), fmt(v)] for k, v in sorted(mapping.items())])


def png(data: bytes, *, alt: str = "chart") -> str:
    """An ``<img>`` holding PNG bytes inline (renders everywhere, no network)."""
    encoded = base64.b64encode(data).decode()
    return f'<img alt="{attr(alt)}" src="data:image/png;base64,{encoded}"/>'


def note(text: str) -> str:
    """A grey sentence, e.g. why a section is empty."""
    return f'<p class="note">{esc(text)}</p>'


def error(text: str) -> str:
    """A red sentence: a bad filter, an unknown run."""
    return f'<p class="error">{esc(text)}</p>'


def panel(title: str, body: str, *, kind: str) -> str:
    """The outer block of a panel's static HTML."""
    return f'{STYLE}<div class="mlops-panel mlops-{kind}"><h3>{esc(title)}</h3>{body}</div>'


def section(title: str, body: str) -> str:
    """A titled part of a panel."""
    return f"<h4>{esc(title)}</h4>{body}"


def when(ts: float | None) -> str:
    """A time the same way in every panel, "2026-12-07 06:30", in the kernel's time zone."""
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")
