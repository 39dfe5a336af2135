"""``jupyter-mlops data``: versions as text for people, or the REST API's records as JSON."""

from __future__ import annotations

import argparse

from pydantic import BaseModel

from jupyter_mlops.cli._common import (
    Subparsers,
    add_verb,
    fmt_local_time,
    fmt_size,
    print_record,
)
from jupyter_mlops.cli._table import Column, render
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.data import DATA
from jupyter_mlops.services.schema import DatasetList, DatasetVersionList


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, DATA)


def run(args: argparse.Namespace) -> int:
    # start-up: --help loads this module; data.compare/version cost ~80 ms, so load at run.
    from jupyter_mlops.data.compare import lines
    from jupyter_mlops.data.version import describe, summary
    from jupyter_mlops.services import datasets, project  # start-up: loads pandas, pyarrow

    action = grammar.selected(DATA, args).name
    store = project.store()
    record: BaseModel
    if action == "list":
        name = getattr(args, "name", None)
        record = datasets.list_versions(store, name) if name else datasets.list_datasets(store)
        text = listing_text(record)
    elif action == "add":
        record = datasets.add(store, grammar.request(DATA, args))
        text = summary(record.model_dump())
    elif action == "show":
        record = datasets.show(store, args.ref)
        text = describe(record.model_dump())
    elif action == "diff":
        record = datasets.diff(store, args.a, args.b)
        text = "\n".join(lines(record.model_dump()))
    elif action == "checkout":
        record = datasets.checkout(store, args.ref, grammar.request(DATA, args))
        text = f"checked out {record.version.ref} to {record.path}"
    else:
        record = datasets.tag(store, args.ref, grammar.request(DATA, args))
        text = summary(record.model_dump())
    if getattr(args, "format", "text") == "json":
        print_record(record)
    else:
        print(text)
    return 0


def listing_text(listing: DatasetList | DatasetVersionList) -> str:
    """Datasets, or one dataset's versions, as a table for a terminal."""
    if isinstance(listing, DatasetVersionList):
        versions = listing.items
        first = [Column("version", [v.ref for v in versions])]
        rows = [v.row_count for v in versions]
    else:
        if not listing.items:
            return "No datasets yet: add one with `jupyter-mlops data add PATH`."
        first = [
            Column("name", [d.name for d in listing.items]),
            Column("latest", [str(d.latest) for d in listing.items], right=True),
        ]
        rows = [d.rows for d in listing.items]
    items = listing.items
    return render(
        [
            *first,
            Column("format", [i.format for i in items]),
            Column("size", [fmt_size(i.size) for i in items], right=True),
            Column("rows", ["-" if r is None else str(r) for r in rows], right=True),
            Column("digest", [i.digest[:12] for i in items]),
            Column("created", [fmt_local_time(i.created_at) for i in items]),
            Column("description", [i.description or "-" for i in items]),
        ]
    )
