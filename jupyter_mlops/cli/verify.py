"""Check the store's database, re-hash every object and check every referenced one is there.

The database is checked first (SQLite's quick_check; PostgreSQL: it answers and holds the
schema). Reports corrupt objects (content no longer matches the digest) and missing ones,
with the runs, artifacts, models and dataset versions that point at them; links and other
files the store did not write (never followed); and temporary files a killed writer left
(`gc --yes` removes the old ones). Exits 0 when all is well, 1 otherwise.

examples:
  jupyter-mlops verify
  jupyter-mlops verify --remove-corrupt     # delete corrupt objects so they can be stored again
"""

from __future__ import annotations

import argparse
import sys

from jupyter_mlops.cli._common import (
    Subparsers,
    add_command,
    add_format,
    fmt_size,
    marks,
    print_record,
)
from jupyter_mlops.services.schema import VerifyReport


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "verify", __doc__)
    parser.add_argument(
        "--remove-corrupt",
        action="store_true",
        help="delete corrupt objects (they are still reported, and the exit code is 1)",
    )
    add_format(parser, "text", "json", help="text for people (default), json for scripts")
    return parser


def run(args: argparse.Namespace) -> int:
    # Imported here: the store's modules load only when a command runs, not for --help.
    from jupyter_mlops.services.verify import verify_project

    show_progress = args.format == "text" and sys.stderr.isatty()

    def progress(n: int) -> None:
        if n % 100 == 0:
            print(f"\rverifying: {n} objects", end="", file=sys.stderr, flush=True)

    report = verify_project(
        remove_corrupt=args.remove_corrupt,
        progress=progress if show_progress else None,
    )
    if show_progress:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    if args.format == "json":
        print_record(report)
    else:
        print_report(report)
    return 0 if report.ok else 1


def print_report(report: VerifyReport) -> None:
    """Print the report: one block per problem, then a one-line verdict."""
    ok, bad = marks()
    print(
        f"Checked {report.objects_checked} objects ({fmt_size(report.bytes_checked)}) in "
        f"{report.artifacts_uri} and {report.references_checked} referenced digests."
    )
    for problem in report.problems:
        removed = " (removed)" if problem.removed else ""
        print(f"{bad} {problem.problem}{removed}: {problem.digest}")
        for ref in problem.refs:
            print(f"    used by {ref}")
        if not problem.refs:
            print("    not used by any run, model or dataset")
    for entry in report.foreign:
        print(f"{bad} foreign: {entry.path} is {entry.kind}, not an object this store wrote")
        print("    left alone; remove it by hand if you did not put it there")
    if report.temporaries:
        total = sum(temp.bytes for temp in report.temporaries)
        print(
            f"{len(report.temporaries)} temporary file(s) ({fmt_size(total)}) left by writers "
            "in tmp/; `jupyter-mlops gc --yes` removes those older than 24 h."
        )
    if report.ok:
        print(f"{ok} All objects match their digests and every referenced object is present.")
        return
    corrupt, missing = len(report.corrupt), len(report.missing)
    if not report.problems:
        print(f"{bad} {len(report.foreign)} foreign: remove what you did not put there.")
        return
    hint = (
        "re-run what produced them to store them again"
        if any(p.removed for p in report.problems) or not corrupt
        else "run `jupyter-mlops verify --remove-corrupt`, then re-run what produced them"
    )
    foreign = f", {len(report.foreign)} foreign" if report.foreign else ""
    print(f"{bad} {corrupt} corrupt, {missing} missing{foreign}: {hint}.")
