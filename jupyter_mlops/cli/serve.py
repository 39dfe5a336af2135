"""``jupyter-mlops serve``: answer HTTP requests with a registered model until stopped."""

from __future__ import annotations

import argparse
import sys

from jupyter_mlops.cli._common import Subparsers, add_verb
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.serve import SERVE
from jupyter_mlops.services.schema import ServerInfo


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, SERVE)


def ready_text(info: ServerInfo) -> str:
    """The line printed once the server answers."""
    follows = f" (following {info.uri})" if info.stage else ""
    logging = f"logging {info.log_sample:.0%} of requests" if info.log_sample else "logging off"
    return (
        f"serving models:/{info.model_name}/{info.version}{follows} at {info.url} "
        f"with {info.workers} worker{'s' if info.workers > 1 else ''}, {logging}; "
        "Ctrl-C stops"
    )


def run(args: argparse.Namespace) -> int:
    # Imported here: the server, pandas and the store load only when a command runs.
    from jupyter_mlops.services import project, serving

    def on_ready(info: ServerInfo) -> None:
        print(ready_text(info), flush=True)

    serving.serve(project.store(), grammar.request(SERVE, args), on_ready)
    print("stopped", file=sys.stderr)
    return 0
