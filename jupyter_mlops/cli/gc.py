"""Find objects in the artifact store that no run, model, dataset version or record uses.

A dry run by default: prints how many unreferenced objects there are and their size.
--yes deletes them, and the temporary files killed writers left in tmp/. Objects and
temporaries younger than --older-than hours are always kept, so a notebook writing to the
store at the same time is safe. Runs deleted longer ago than the retention period
(deleted_run_retention_days, default 30; --retention DAYS) are purged first, except runs a
model version was made from. Links and other files the store did not write are reported
and never followed or touched.

examples:
  jupyter-mlops gc
  jupyter-mlops gc --yes --older-than 48
  jupyter-mlops gc --yes --retention 7
"""

from __future__ import annotations

import argparse

from jupyter_mlops.cli._common import Subparsers, add_command, add_format, print_record


def _hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of hours, not {text!r}") from None
    if hours < 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, not {text!r}")
    return hours


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of days, not {text!r}") from None
    if days < 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, not {text!r}")
    return days


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
    parser.add_argument(
        "--retention",
        metavar="DAYS",
        type=_days,
        default=None,
        help="purge runs deleted longer ago than this (default: deleted_run_retention_days, 30)",
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
    # Imported here: the store's modules load only when a command runs, not for --help.
    from jupyter_mlops.services import project
    from jupyter_mlops.services.gc import collect_garbage

    retention = None if args.retention is None else args.retention * 86400
    report = collect_garbage(
        project.store(), older_than=args.older_than * 3600, delete=args.yes, retention=retention
    )
    if args.format == "json":
        print_record(report)
        return 0
    if report.purged_runs:
        runs = f"{len(report.purged_runs)} deleted run(s) past the retention period"
        print(f"purged {runs}." if args.yes else f"{runs} would be purged; run with --yes.")
    if report.runs_kept_for_models:
        print(
            f"kept {len(report.runs_kept_for_models)} deleted run(s) past retention: a model "
            "version was made from them."
        )
    n = report.count
    what = f"{n} unreferenced object{'' if n == 1 else 's'} ({_size(report.bytes)})"
    if report.deleted:
        print(f"deleted {what}.")
    elif n:
        print(f"{what} would be deleted; run with --yes to delete them.")
    else:
        print("no unreferenced objects to delete.")
    if report.young_kept:
        print(
            f"kept {report.young_kept} unreferenced object(s) younger than {args.older_than:g} h "
            "(a writer may be about to use them)."
        )
    old = [t for t in report.temporaries if t.removed or t.age_seconds >= args.older_than * 3600]
    if old:
        what = f"{len(old)} temporary file(s) ({_size(sum(t.bytes for t in old))})"
        if args.yes:
            print(f"deleted {what} left by killed writers in tmp/.")
        else:
            print(f"{what} left by killed writers in tmp/ would be deleted; run with --yes.")
    for entry in report.foreign:
        print(f"left alone: {entry.path} is {entry.kind}, not an object this store wrote.")
    return 0
