"""``%mlops param``: log params into the active run."""

from __future__ import annotations

import argparse

from jupyter_mlops.magics._args import VerbParser, param_pair
from jupyter_mlops.tracking.fluent import log_params
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = VerbParser("param")
parser.add_argument(
    "pairs",
    nargs="+",
    type=param_pair,
    metavar="K=V",
    help="a param; VALUE is read as a Python literal when it is one, else kept as text",
)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Log each ``K=V`` as a param of the active run."""
    log_params(dict(args.pairs))
    return None
