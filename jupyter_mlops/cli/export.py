"""``jupyter-mlops export mlflow --to URI``: this store's runs and models into an MLflow store."""

from __future__ import annotations

import argparse

from jupyter_mlops.cli._common import Subparsers, add_verb, print_record
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.interop import EXPORT


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, EXPORT)


def run(args: argparse.Namespace) -> int:
    # Imported here: the store and MLflow's client load only when a command runs.
    from jupyter_mlops.cli._progress import with_progress
    from jupyter_mlops.interop.text import export_lines
    from jupyter_mlops.services import interop, project

    request = grammar.request(EXPORT, args)
    as_json = getattr(args, "format", "text") == "json"
    report = with_progress(
        bool(getattr(args, "progress", False)),
        lambda bar: interop.export_mlflow(project.store(), request, progress=bar),
    )
    if as_json:
        print_record(report)
    else:
        print("\n".join(export_lines(report.model_dump())))
    return 0
