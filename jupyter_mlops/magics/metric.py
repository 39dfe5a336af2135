"""``%mlops metric``: log metrics into the active run."""

from __future__ import annotations

import argparse

from jupyter_mlops.magics._args import VerbParser, metric_pair
from jupyter_mlops.tracking.fluent import log_metrics
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = VerbParser("metric")
parser.add_argument("pairs", nargs="+", type=metric_pair, metavar="K=V", help="a metric value")
parser.add_argument(
    "--step", type=int, metavar="N", help="the step (default: each metric's next step)"
)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Log each ``K=V`` as a metric point of the active run."""
    log_metrics(dict(args.pairs), step=args.step)
    return None
