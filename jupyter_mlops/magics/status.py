"""``%mlops status``: the active run, where the store is, how many runs it holds."""

from __future__ import annotations

import argparse
import html

from jupyter_mlops.config import load_config
from jupyter_mlops.magics._args import VerbParser
from jupyter_mlops.magics._display import show_text
from jupyter_mlops.services import project
from jupyter_mlops.services.status import status
from jupyter_mlops.tracking.fluent import active_run
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = VerbParser("status")


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Display the tracking status of this session and store."""
    config = load_config()
    health = status(project.store(), root=config.root)
    counts = health.runs_by_status
    run = active_run()
    if run is None:
        active = "none"
    elif run is session.line_run:
        n = session.line_cells
        active = f"{run.label} · line form · {n} cell{'' if n == 1 else 's'} recorded"
    else:
        active = run.label
    rows = {
        "active run": active,
        "store": health.store_uri,
        "artifacts": health.artifacts_uri,
        "runs": " · ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none yet",
        "autolog": "on" if config.autolog else "off (config)",
    }
    width = max(map(len, rows))
    text = "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows.items())
    cells = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
        f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
        for k, v in rows.items()
    )
    show_text(text, f"<table class='mlops-status'>{cells}</table>")
    return None
