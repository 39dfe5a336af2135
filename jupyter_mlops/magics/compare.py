"""``%mlops compare``: runs side by side in the comparison panel.

%mlops compare a1b2c3d4 e5f6a7b8
%mlops compare r1 r2 r3 --metric auc
"""

from __future__ import annotations

import argparse

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.magics._args import VerbParser
from jupyter_mlops.magics._display import show
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = VerbParser("compare")
parser.add_argument("runs", nargs="*", metavar="RUN", help="run ids, short ids or names")
parser.add_argument("--metric", metavar="KEY", help="the metric of the parallel coordinates")


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Display params (differences highlighted), metrics, curves and parallel coordinates."""
    # start-up: the widget loads ipywidgets and pandas (~500 ms); --help and bad arguments don't.
    from jupyter_mlops.widgets.compare import Comparison

    if len(args.runs) < 2:
        raise MlopsUsageError("Give two runs or more: %mlops compare RUN RUN [RUN ...].")
    panel = Comparison(args.runs, metric=args.metric)
    if len(panel.data.runs) < 2:
        panel.close()
        raise MlopsUsageError(" ".join(panel.data.errors) or "Comparing needs two runs or more.")
    show(panel)
    return None
