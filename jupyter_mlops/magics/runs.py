"""``%mlops runs``: find runs and show them in the runs table panel."""

from __future__ import annotations

import argparse

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.magics._args import VerbParser
from jupyter_mlops.magics._display import show
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = VerbParser("runs")
parser.add_argument(
    "--filter", "-f", metavar="EXPR", help="e.g. \"metrics.auc > 0.9 and params.C = '0.5'\""
)
parser.add_argument(
    "--experiment", "-e", action="append", metavar="E", help="only this experiment (repeatable)"
)
parser.add_argument("--limit", "-n", type=int, default=20, metavar="N", help="N runs per page")
parser.add_argument(
    "--sort", metavar="KEY", default="start_time desc", help="e.g. 'metrics.auc desc'"
)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Display the runs table (filter, sort, pages, select to compare), newest first."""
    from jupyter_mlops.widgets.runs import RunsTable

    if args.limit < 0:
        raise MlopsUsageError(f"limit must be zero or more, got {args.limit}.")
    table = RunsTable(
        args.filter, experiments=args.experiment, order_by=args.sort, page_size=max(args.limit, 1)
    )
    if table.page.error:  # a mistake on the magic line is the cell's error
        table.close()
        raise MlopsUsageError(table.page.error)
    if table.page.total == 0 or args.limit == 0:
        table.close()
        print("mlops: no runs match.")
        return None
    show(table)
    return None
