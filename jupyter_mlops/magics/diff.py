"""``%mlops diff``: why did the metric move between two runs, as one HTML view.

%mlops diff a1b2c3d4 e5f6a7b8
%mlops diff churn-baseline churn-tuned
"""

from __future__ import annotations

import argparse

from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.runs import DIFF
from jupyter_mlops.magics._args import parser_for
from jupyter_mlops.magics._display import show_text
from jupyter_mlops.services.schema import RunDiffQuery
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = parser_for(DIFF)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Display the headline, metrics, params, data versions, environment and the code diff."""
    # start-up: the service loads the store and pandas; --help and bad arguments don't.
    from jupyter_mlops.services import diff, project
    from jupyter_mlops.widgets.rundiff import panel_html

    query: RunDiffQuery = grammar.request(DIFF, args)
    found = diff.diff(project.store(), query)
    show_text(found.headline, panel_html(found))
    return None
