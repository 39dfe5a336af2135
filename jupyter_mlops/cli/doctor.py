"""Show where the store is, where each setting came from, versions, and check the setup.

Read-only: a store that does not exist yet is not created. Checks the database's pages
(SQLite's quick_check) and schema. Exits 1 if a check fails.

examples:
  jupyter-mlops doctor
  jupyter-mlops doctor --format json
"""

from __future__ import annotations

import argparse

from jupyter_mlops.cli._common import Subparsers, add_command, add_format, marks, print_record
from jupyter_mlops.services.schema import DoctorReport


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "doctor", __doc__)
    add_format(parser, "text", "json", help="text for people (default), json for scripts")
    return parser


def run(args: argparse.Namespace) -> int:
    # Imported here: the store's modules load only when a command runs, not for --help.
    from jupyter_mlops.services.doctor import diagnose

    report = diagnose()
    if args.format == "json":
        print_record(report)
    else:
        print_report(report)
    return 0 if report.ok else 1


def _row(label: str, value: str, width: int = 16) -> None:
    print(f"  {label:<{width}}{value}")


def print_report(report: DoctorReport) -> None:
    """The store, the configuration, the versions, then the checks and a verdict."""
    print("store")
    _row("project root", report.root)
    _row("store", report.store_uri)
    _row("artifacts", report.artifacts_uri)
    _row("schema", report.schema_revision)
    if report.runs is not None:
        _row("runs", report.runs)
    print("\nconfiguration  (env MLOPS_* > pyproject.toml [tool.jupyter-mlops] > default)")
    # The longest setting names (deleted_run_retention_days) need more than 16 columns.
    width = max([16, *(len(s.key) + 2 for s in report.configuration)])
    for setting in report.configuration:
        _row(setting.key, f"{setting.value}  [{setting.source}]", width)
    print("\nversions")
    for package in report.versions:
        _row(package.name, package.version or "not installed")
    ok, bad = marks()
    print("\nchecks")
    for check in report.checks:
        print(f"  {ok if check.ok else bad} {check.name}: {check.detail}")
    failed = sum(not c.ok for c in report.checks)
    if failed:
        print(f"\n{failed} check{'s' if failed != 1 else ''} failed.")
