"""``%mlops show``: one run, everything stored about it, in the run detail panel."""

from __future__ import annotations

import argparse

from jupyter_mlops.commands.runs import SHOW
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.magics._args import parser_for
from jupyter_mlops.magics._display import show
from jupyter_mlops.tracking.fluent import active_run
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = parser_for(SHOW)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Display the run ``RUN``: params, metrics and curves, data, models, artifacts, code."""
    # start-up: the widget loads ipywidgets and pandas (~500 ms); --help and bad arguments don't.
    from jupyter_mlops.widgets.run_detail import RunDetail

    ref = args.run
    if ref is None:
        active = active_run()
        ref = active.id if active is not None else session.last_run_id
    if ref is None:
        raise MlopsUsageError("No run tracked in this session yet: give one, %mlops show RUN.")
    panel = RunDetail(ref)
    if panel.data.run is None:
        panel.close()
        raise MlopsUsageError(panel.data.error or f"No run {ref!r}.")
    show(panel)
    return None
