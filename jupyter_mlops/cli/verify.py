"""Re-hash every object in the artifact store and check every artifact and model has its object.

Reports corrupt objects (content no longer matches the digest) and missing ones, with
the runs, artifacts and models that point at them. Exits 0 when all is well, 1 otherwise.

examples:
  jupyter-mlops verify
  jupyter-mlops verify --remove-corrupt     # delete corrupt objects so they can be stored again
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from jupyter_mlops.cli._common import (
    Subparsers,
    add_command,
    add_format,
    fmt_size,
    marks,
    print_json,
)

if TYPE_CHECKING:
    from jupyter_mlops.services.verify import VerifyReport


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
    from jupyter_mlops.services.verify import verify_store
    from jupyter_mlops.store import current_store

    show_progress = args.format == "text" and sys.stderr.isatty()

    def progress(n: int) -> None:
        if n % 100 == 0:
            print(f"\rverifying: {n} objects", end="", file=sys.stderr, flush=True)

    report = verify_store(
        current_store(),
        remove_corrupt=args.remove_corrupt,
        progress=progress if show_progress else None,
    )
    if show_progress:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    if args.format == "json":
        print_json(report.to_dict())
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
            print("    not used by any run or model")
    if report.ok:
        print(f"{ok} All objects match their digests and every referenced object is present.")
        return
    corrupt, missing = len(report.corrupt), len(report.missing)
    hint = (
        "re-run what produced them to store them again"
        if any(p.removed for p in report.problems) or not corrupt
        else "run `jupyter-mlops verify --remove-corrupt`, then re-run what produced them"
    )
    print(f"{bad} {corrupt} corrupt, {missing} missing: {hint}.")
