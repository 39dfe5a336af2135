"""``jupyter-mlops cancel``: cancel a running pipeline run, from any shell.

``--format json`` prints the REST API's PipelineRunDetail of the cancelled run.
"""

from __future__ import annotations

import argparse

from jupyter_mlops.cli._common import Subparsers, add_verb, print_record
from jupyter_mlops.commands.pipelines import CANCEL, cancelled_text


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, CANCEL)


def run(args: argparse.Namespace) -> int:
    # start-up: the store loads only when a command runs, not for --help.
    from jupyter_mlops.services import pipelines, project

    detail = pipelines.cancel(project.store(), args.run_id, root=project.root())
    if args.format == "json":
        print_record(detail)
    else:
        print(cancelled_text(detail))
    return 0
