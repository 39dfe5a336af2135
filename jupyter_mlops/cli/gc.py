"""Find objects in the artifact store that no run, model, dataset version or record uses.

A dry run by default: prints how many unreferenced objects there are and their size.
--yes deletes them. Objects younger than --older-than hours are always kept, so a
notebook writing to the store at the same time is safe.

examples:
  jupyter-mlops gc
  jupyter-mlops gc --yes --older-than 48
"""

from __future__ import annotations

import argparse

from jupyter_mlops.cli._common import Subparsers, add_command, add_format, print_json


def _hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of hours, not {text!r}") from None
    if hours < 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, not {text!r}")
    return hours


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "gc", __doc__)
    parser.add_argument("--yes", action="store_true", help="delete the unreferenced objects")
    parser.add_argument(
        "--older-than",
        metavar="HOURS",
        type=_hours,
        default=24.0,
        help="keep objects younger than this (default: 24)",
    )
    add_format(parser, "text", "json", help="text for people (default), json for scripts")
    return parser


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def run(args: argparse.Namespace) -> int:
    from jupyter_mlops.services.gc import collect_garbage
    from jupyter_mlops.store import current_store

    report = collect_garbage(current_store(), older_than=args.older_than * 3600, delete=args.yes)
    if args.format == "json":
        print_json(
            {
                "orphans": sorted(report.orphans),
                "count": len(report.orphans),
                "bytes": report.bytes,
                "young_kept": report.young,
                "deleted": report.deleted,
            }
        )
        return 0
    n = len(report.orphans)
    what = f"{n} unreferenced object{'' if n == 1 else 's'} ({_size(report.bytes)})"
    if report.deleted:
        print(f"deleted {what}.")
    elif n:
        print(f"{what} would be deleted; run with --yes to delete them.")
    else:
        print("no unreferenced objects to delete.")
    if report.young:
        print(
            f"kept {report.young} unreferenced object(s) younger than {args.older_than:g} h "
            "(a writer may be about to use them)."
        )
    return 0
