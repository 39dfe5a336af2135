"""``%mlops reproduce``: re-execute a run's recorded cells in a clean kernel and certify it.

%mlops reproduce brisk-otter-42
%mlops reproduce models:/churn@staging --tolerance 1e-6
"""

from __future__ import annotations

import argparse

from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.reproduce import REPRODUCE
from jupyter_mlops.magics._args import parser_for
from jupyter_mlops.services.schema.reproduce import ReproduceRequest
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = parser_for(REPRODUCE)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Print the reproducibility report; the certificate is stored."""
    from jupyter_mlops.services import project, reproduce

    request: ReproduceRequest = grammar.request(REPRODUCE, args)
    report = reproduce.reproduce(project.store(), request)
    print(report)
    return None
