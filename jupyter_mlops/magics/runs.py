"""``%mlops runs``: find runs and show them as a table."""

from __future__ import annotations

import argparse

from jupyter_mlops.magics._args import VerbParser
from jupyter_mlops.magics._display import show
from jupyter_mlops.magics._session import Session
from jupyter_mlops.tracking.fluent import search_runs

CELL = False

# Columns a person scans first; the full frame comes from mlops.search_runs().
_LEAD = ["short_id", "name", "experiment", "status", "start_time", "duration"]

parser = VerbParser("runs")
parser.add_argument(
    "--filter", "-f", metavar="EXPR", help="e.g. \"metrics.auc > 0.9 and params.C = '0.5'\""
)
parser.add_argument(
    "--experiment", "-e", action="append", metavar="E", help="only this experiment (repeatable)"
)
parser.add_argument("--limit", "-n", type=int, default=20, metavar="N", help="at most N runs")


def main(session: Session, args: argparse.Namespace, cell: str | None) -> object:
    """Display the newest runs matching the filter."""
    frame = search_runs(args.filter, experiments=args.experiment, limit=args.limit)
    if frame.empty:
        print("mlops: no runs match.")
        return None
    data = [c for c in frame.columns if "." in c]
    table = frame[[c for c in _LEAD if c in frame.columns] + data].set_index("short_id")
    show(table)
    return None
