"""``%mlops show``: one run, everything stored about it."""

from __future__ import annotations

import argparse

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.magics._args import VerbParser
from jupyter_mlops.magics._display import show_text
from jupyter_mlops.magics._session import Session
from jupyter_mlops.tracking.fluent import active_run, get_run

CELL = False

parser = VerbParser("show")
parser.add_argument(
    "run",
    nargs="?",
    metavar="RUN",
    help="run id, short id or name (default: the active run, else the last one tracked here)",
)


def main(session: Session, args: argparse.Namespace, cell: str | None) -> object:
    """Display the run ``RUN``."""
    ref = args.run
    if ref is None:
        active = active_run()
        ref = active.id if active is not None else session.last_run_id
    if ref is None:
        raise MlopsUsageError("No run tracked in this session yet: give one, %mlops show RUN.")
    record = get_run(ref)
    show_text(str(record), record._repr_html_())
    return None
