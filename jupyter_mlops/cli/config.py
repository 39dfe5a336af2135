"""Show every setting with its effective value and where it came from.

Precedence: MLOPS_* environment variables, then [tool.jupyter-mlops] in the project's
pyproject.toml, then defaults. A bad value is reported as bad usage (exit 2).

examples:
  jupyter-mlops config
  jupyter-mlops config --format json
"""

from __future__ import annotations

import argparse

from jupyter_mlops.cli._common import Subparsers, add_command, add_format, print_json
from jupyter_mlops.config import explain_config, find_root


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "config", __doc__)
    add_format(parser, "text", "json", help="text for people (default), json for scripts")
    return parser


def run(args: argparse.Namespace) -> int:
    entries = explain_config()
    if args.format == "json":
        print_json(
            {
                "root": str(find_root()),
                "settings": {e.key: {"value": e.value, "source": e.source} for e in entries},
            }
        )
        return 0
    key_width = max(len(e.key) for e in entries)
    value_width = max(len(e.value) for e in entries)
    print(f"project root  {find_root()}")
    for e in entries:
        print(f"{e.key.ljust(key_width)}  {e.value.ljust(value_width)}  ({e.source})")
    return 0
