"""``jupyter-mlops reproduce RUN|MODEL_URI``: re-execute the record in a clean kernel, certify."""

from __future__ import annotations

import argparse

from jupyter_mlops.cli._common import Subparsers, add_verb, print_record
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.reproduce import REPRODUCE
from jupyter_mlops.services.schema.reproduce import ReproduceRequest


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, REPRODUCE)


def run(args: argparse.Namespace) -> int:
    # Imported here: the store and the kernel machinery load only when a command runs.
    from jupyter_mlops.services import project, reproduce

    request: ReproduceRequest = grammar.request(REPRODUCE, args)
    report = reproduce.reproduce(project.store(), request)
    if args.format == "json":
        print_record(report)
    else:
        print(report)
    return 0 if report.verdict != "not reproduced" else 1
