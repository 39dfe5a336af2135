"""``jupyter-mlops status``: what a run of a pipeline would do with each step, and why.

``--format json`` prints the REST API's PipelineStatus.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from jupyter_mlops.cli._common import Subparsers, add_verb, print_record
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.pipelines import STATUS
from jupyter_mlops.services.schema import PipelineStatus


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, STATUS)


def run(args: argparse.Namespace) -> int:
    # start-up: the store and the pipeline code load only when a command runs.
    from jupyter_mlops.services import pipelines, project

    query = grammar.request(STATUS, args)
    record = pipelines.status(project.store(), query, root=project.root(), cwd=Path.cwd())
    if args.format == "json":
        print_record(record)
    else:
        print(text(record))
    return 0


def text(record: PipelineStatus) -> str:
    """One line per step (name, action, reason), then how many would run."""
    width = max((len(p.step) for p in record.steps), default=0)
    lines = [f"{p.step.ljust(width)}  {p.action:<7} {p.reason}" for p in record.steps]
    return "\n".join([*lines, record.summary])
