"""The store itself: where it is, its schema, and moving it to a team database.

`store migrate` merges this project's store (runs, datasets, models, promotion history,
pipelines, schedules and every object) into another store, usually a team PostgreSQL with
shared object storage that other laptops were merged into already. Records get fresh ids on
the target; an experiment, dataset, model or schedule of the same name is the same one; a
dataset or model version the target has under another number is appended under the next
one and tagged mlops.migrated_from; the target's stages and schedules are kept (the output
lists what was renumbered and what was not applied). Objects are verified on the target;
running it again copies nothing twice, and finishes an interrupted migration.

examples:
  jupyter-mlops store info
  jupyter-mlops store upgrade
  jupyter-mlops store migrate --to postgresql+psycopg://mlops@db.internal/mlops \\
      --artifacts-to s3://team-bucket/mlops
"""

from __future__ import annotations

import argparse
import sys

from jupyter_mlops.cli._common import Parser, Subparsers, add_command, fmt_size, print_record


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "store", __doc__)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser)
    info = actions.add_parser("info", help="the store's database, schema revision and size")
    info.add_argument("--json", action="store_true", help="print JSON for scripts")
    actions.add_parser("upgrade", help="migrate the store's schema to this version's")
    migrate = actions.add_parser("migrate", help="merge this store into another (a team store)")
    migrate.add_argument(
        "--to", required=True, metavar="URI", help="the target store's database URI"
    )
    migrate.add_argument(
        "--artifacts-to",
        metavar="URI",
        help="the target's artifact store (path or fsspec URL, e.g. s3://bucket/prefix); "
        "default: keep objects where they are",
    )
    migrate.add_argument("--json", action="store_true", help="print JSON for scripts")
    return parser


def run(args: argparse.Namespace) -> int:
    # Imported here: the store's modules load only when a command runs, not for --help.
    from jupyter_mlops.services import project, store_admin

    action = args.action or "info"
    store = project.store()
    if action == "upgrade":
        # Opening the store migrated it already; say to which revision.
        upgraded = store_admin.upgrade(store)
        print(f"{upgraded.uri} is at schema revision {upgraded.revision}.")
        return 0
    if action == "info":
        info = store_admin.info(store)
        if getattr(args, "json", False):
            print_record(info)
            return 0
        print(f"store      {info.uri} ({info.dialect}, schema {info.revision})")
        print(f"artifacts  {info.artifacts}")
        print("records    " + ", ".join(f"{n} {name}" for name, n in info.counts.items()))
        return 0
    quiet = args.json

    def progress(line: str) -> None:
        if not quiet:
            print(f"  {line}", file=sys.stderr, flush=True)

    report = store_admin.migrate(store, args.to, artifacts_to=args.artifacts_to, progress=progress)
    if args.json:
        print_record(report)
        return 0
    print(
        f"Migrated {store.uri} to {report.target}: {report.rows_copied} rows copied, "
        f"{report.rows_merged} merged onto existing records, "
        f"{report.objects_copied} object{'' if report.objects_copied == 1 else 's'} "
        f"({fmt_size(report.bytes_copied)}) copied and "
        f"{report.objects_copied + report.objects_present} verified in {report.artifacts}."
    )
    if report.renumbered:
        print("Renumbered (the original number is in the tag mlops.migrated_from):")
        for line in report.renumbered:
            print(f"  {line}")
    if report.skipped:
        print("Kept the target's:")
        for line in report.skipped:
            print(f"  {line}")
    return 0
