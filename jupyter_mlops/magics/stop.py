"""``%mlops stop``: end the run started by ``%mlops track``."""

from __future__ import annotations

import argparse
import time

from jupyter_mlops.magics._args import VerbParser
from jupyter_mlops.magics._display import show
from jupyter_mlops.tracking.notebook import NotebookSession
from jupyter_mlops.tracking.summary import RunSummary

CELL = False

parser = VerbParser("stop")


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """End the line-form run (or the active run) as ``finished`` and summarize it."""
    session.refuse_in_tracked_cell("stop", "its run ends with the cell")
    line_form = session.line_run is not None
    run = session.end_active()
    if run is None:
        print("mlops: no run in progress.")
        return None
    cells = session.line_cells if line_form else None
    hidden = session.take_hidden_state(run)
    summary = RunSummary.of(
        run, duration=time.time() - run.start_time, cells=cells, hidden_state=hidden
    )
    show(summary)
    return None
