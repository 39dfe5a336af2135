# ruff: noqa: N999 - the router finds a verb's module by the verb's name
"""``%mlops import mlflow --from URI``: an MLflow store's history into the project's store."""

from __future__ import annotations

import argparse

from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.interop import IMPORT
from jupyter_mlops.interop.text import summary_lines
from jupyter_mlops.magics._args import parser_for
from jupyter_mlops.magics.export import progress_lines
from jupyter_mlops.services import interop, project
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = parser_for(IMPORT)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Import and print what came over (progress lines while it runs)."""
    request = grammar.request(IMPORT, args)
    report = interop.import_mlflow(project.store(), request, progress=progress_lines())
    print("\n".join(f"mlops: {line}" for line in summary_lines(report.model_dump())))
    return None
