"""``%mlops export mlflow --to URI``: the project's runs and models into an MLflow store."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.interop import EXPORT
from jupyter_mlops.interop.progress import Progress
from jupyter_mlops.interop.text import export_lines
from jupyter_mlops.magics._args import parser_for
from jupyter_mlops.services import interop, project
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = parser_for(EXPORT)


def progress_lines(every: float = 2.0) -> Callable[[Progress], None]:
    """Print how far it got as ``mlops:`` lines: the first, then every ``every`` seconds."""
    last = -every

    def say(event: Progress) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= every:
            last = now
            print(f"mlops: {event.line}", flush=True)

    return say


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Export and print what went over (progress lines while it runs)."""
    request = grammar.request(EXPORT, args)
    report = interop.export_mlflow(project.store(), request, progress=progress_lines())
    print("\n".join(f"mlops: {line}" for line in export_lines(report.model_dump())))
    return None
