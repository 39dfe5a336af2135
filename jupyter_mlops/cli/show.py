"""Show one run: params, metrics, tags, models, inputs, artifacts and its error.

RUN is a run id, a short id (4+ characters) or a run name (the newest run of that name).

examples:
  jupyter-mlops show brisk-otter-42
  jupyter-mlops show 45b9d702 --format json | jq .metrics
"""

from __future__ import annotations

import argparse

from jupyter_mlops.cli._common import Subparsers, add_command, add_format, print_json


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "show", __doc__)
    parser.add_argument("run", metavar="RUN", help="run id, short id or name")
    add_format(parser, "text", "json", help="text for people (default), json for scripts")
    return parser


def run(args: argparse.Namespace) -> int:
    from jupyter_mlops.tracking.fluent import get_run

    record = get_run(args.run)
    if args.format == "json":
        print_json(record.to_dict())
    else:
        print(record)
    return 0
