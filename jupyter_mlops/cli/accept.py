"""``jupyter-mlops accept``: take a pipeline step's current outputs as up to date.

``--format json`` prints the REST API's PipelineRunDetail of the recording run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from jupyter_mlops.cli._common import Subparsers, add_verb, marks, print_record
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.pipelines import ACCEPT


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, ACCEPT)


def run(args: argparse.Namespace) -> int:
    # start-up: the store and the pipeline code load only when a command runs.
    from jupyter_mlops.services import pipelines, project

    request = grammar.request(ACCEPT, args)
    record = pipelines.accept(project.store(), request, root=project.root(), cwd=Path.cwd())
    if args.format == "json":
        print_record(record)
    else:
        ok, _bad = marks()
        print(f"{ok} {request.step}: current outputs accepted (pipeline run {record.run.id[:8]}).")
    return 0
