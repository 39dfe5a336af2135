"""``%mlops monitor``: a monitor's history as a table and a timeline chart.

%mlops monitor history churn-drift
%mlops monitor history churn-drift --metric roc_auc --threshold 0.3
"""

from __future__ import annotations

import argparse

from jupyter_mlops.magics._args import VerbParser, number
from jupyter_mlops.magics._display import show
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = VerbParser("monitor")
parser.add_argument("action", choices=["history"], metavar="ACTION", help="history")
parser.add_argument("name", metavar="NAME", help="the monitor (or schedule)")
parser.add_argument(
    "--metric", dest="metrics", action="append", default=[], metavar="KEY", help="a column"
)
parser.add_argument("--threshold", type=number, metavar="X", help="the chart's alert line")


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Show the monitor's drift share (and metrics) across its runs, with the chart."""
    from jupyter_mlops.widgets.monitor import MonitorTimeline

    show(MonitorTimeline(args.name, metrics=args.metrics, threshold=args.threshold))
    return None
