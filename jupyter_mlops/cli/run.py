"""``jupyter-mlops run``: a notebook or a pipeline, headless, as tracked runs (CI, servers).

Progress is printed as it goes (on stderr with ``--format json``); the last line says what
ran and what was reused. ``--format json`` prints the REST API's PipelineRunDetail.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jupyter_mlops.cli._common import PROG, Subparsers, add_verb, print_record
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.pipelines import RUN


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, RUN)


def run(args: argparse.Namespace) -> int:
    request = grammar.request(RUN, args)
    if args.executor == "local":
        # start-up: the kernels' imports overlap ours and the spec's checks (not for --help).
        from jupyter_mlops.pipelines.forkserver import shared

        shared().start()
    # start-up: the store and the runner load only when a command runs, not for --help.
    from jupyter_mlops.pipelines.progress import LineProgress
    from jupyter_mlops.services import pipelines, project

    detail = pipelines.run(
        project.store(),
        request,
        root=project.root(),
        cwd=Path.cwd(),
        progress=LineProgress(sys.stdout if args.format == "text" else sys.stderr),
        executor=args.executor,
        trigger="cli",
        junit=args.junit,
        output=args.output,
    )
    if args.format == "json":
        print_record(detail)
    else:
        print(detail.run.summary)
    for step in detail.step_runs:
        if step.status == "failed":
            print(f"{PROG}: error: {step.reason}", file=sys.stderr)
    return 0 if detail.run.status == "ok" else 1
