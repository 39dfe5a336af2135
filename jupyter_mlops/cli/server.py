"""``jupyter-mlops server``: MLflow's tracking REST API over the store, until stopped."""

from __future__ import annotations

import argparse
import sys

from jupyter_mlops.cli._common import Subparsers, add_verb
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.server import SERVER


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, SERVER)


def run(args: argparse.Namespace) -> int:
    # Imported here: tornado and the store load only when the command runs, not for --help.
    from jupyter_mlops.server import standalone

    def on_ready(url: str) -> None:
        print(f"MLflow tracking API at {url} (MLFLOW_TRACKING_URI={url}); Ctrl-C stops", flush=True)

    standalone.serve(grammar.request(SERVER, args), on_ready)
    print("stopped", file=sys.stderr)
    return 0
