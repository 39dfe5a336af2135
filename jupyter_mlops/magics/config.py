"""``%mlops config``: every setting with its effective value and where it came from."""

from __future__ import annotations

import argparse
import html

from jupyter_mlops.config import explain_config, find_root
from jupyter_mlops.magics._args import VerbParser
from jupyter_mlops.magics._display import show_text
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = VerbParser("config")


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Display the effective configuration: MLOPS_* env over pyproject.toml over defaults."""
    entries = explain_config()
    key_width = max(len(e.key) for e in entries)
    value_width = max(len(e.value) for e in entries)
    lines = [f"project root  {find_root()}"]
    lines += [
        f"{e.key.ljust(key_width)}  {e.value.ljust(value_width)}  ({e.source})" for e in entries
    ]
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(e.key)}</th>"
        f"<td style='text-align:left'><code>{html.escape(e.value)}</code></td>"
        f"<td style='text-align:left'>{html.escape(e.source)}</td></tr>"
        for e in entries
    )
    header = "<tr><th>key</th><th>value</th><th>source</th></tr>"
    show_text("\n".join(lines), f"<table class='mlops-config'>{header}{rows}</table>")
    return None
