"""``%mlops compare``: runs side by side in the comparison panel.

%mlops compare a1b2c3d4 e5f6a7b8
%mlops compare r1 r2 r3 --metric auc
"""

from __future__ import annotations

import argparse

from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.runs import COMPARE
from jupyter_mlops.magics._args import parser_for
from jupyter_mlops.magics._display import show
from jupyter_mlops.services.schema import CompareQuery
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = parser_for(COMPARE)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Display params (differences highlighted), metrics, curves and parallel coordinates."""
    # start-up: the service and the widget load ipywidgets and pandas (~500 ms); --help and
    # bad arguments don't.
    from jupyter_mlops.services import compare, project
    from jupyter_mlops.widgets.compare import Comparison

    query: CompareQuery = grammar.request(COMPARE, args)
    store = project.store()
    data = compare.compare(store, query)  # too few runs: the cell's error
    show(Comparison(query.run, metric=args.metric, store=store, data=data))
    return None
