"""Version datasets: add a file or folder, list, show, diff, check out and tag versions.

A version is NAME@N; a bare NAME is its latest version. Adding content identical to the
latest version returns that version; other content becomes the next one.

examples:
  jupyter-mlops data add data/churn.csv --name churn --description "January extract"
  jupyter-mlops data add data/images --link hardlink
  jupyter-mlops data list
  jupyter-mlops data list churn
  jupyter-mlops data show churn@2 --format json | jq .profile
  jupyter-mlops data diff churn@1 churn@2
  jupyter-mlops data checkout churn@2 data/churn-v2.csv
  jupyter-mlops data tag churn@2 stage=clean
"""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_mlops.cli._common import (
    Parser,
    Subparsers,
    add_command,
    add_format,
    fmt_local_time,
    fmt_size,
    print_json,
)
from jupyter_mlops.cli._table import Column, render
from jupyter_mlops.commands.grammar import one_of


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {text!r}")
    return key.strip(), value


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    from jupyter_mlops.data.ingest import LINK_MODES

    parser = add_command(subparsers, "data", __doc__)
    add_format(parser, "text", "json", help="text for people (default), json for scripts")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser)
    add = actions.add_parser("add", help="version a file or folder")
    add.add_argument("path", metavar="PATH", help="a file or a folder")
    add.add_argument("--name", metavar="NAME", help="the dataset (default: PATH's name)")
    add.add_argument("--description", metavar="TEXT", help="a note for the version")
    add.add_argument(
        "--link", type=one_of(*LINK_MODES), default="auto", help="how files enter the store"
    )
    listing = actions.add_parser("list", help="datasets, or the versions of one (the default)")
    listing.add_argument("name", metavar="NAME", nargs="?", help="list this dataset's versions")
    show = actions.add_parser("show", help="one version: schema, rows, profile, tags")
    show.add_argument("ref", metavar="NAME[@N]")
    diff = actions.add_parser("diff", help="what changed between two versions")
    diff.add_argument("a", metavar="NAME@N")
    diff.add_argument("b", metavar="NAME@M")
    checkout = actions.add_parser("checkout", help="write a verified, writable copy")
    checkout.add_argument("ref", metavar="NAME[@N]")
    checkout.add_argument("dest", metavar="DEST", help="a file path, or a folder to write into")
    checkout.add_argument("--force", action="store_true", help="overwrite what is there")
    tag = actions.add_parser("tag", help="set tags on a version")
    tag.add_argument("ref", metavar="NAME[@N]")
    tag.add_argument("tags", metavar="KEY=VALUE", nargs="+", type=_pair)
    for sub in (add, listing, show, diff, checkout, tag):
        # Also accepted after the action; the parent's default stays unless given here.
        sub.add_argument(
            "--format", type=one_of("text", "json"), default=argparse.SUPPRESS, help="text or json"
        )
    return parser


def run(args: argparse.Namespace) -> int:
    from jupyter_mlops import data

    action = args.action or "list"
    as_json = args.format == "json"
    if action == "list":
        _list(getattr(args, "name", None), as_json)
        return 0
    if action == "add":
        version = data.add(args.path, args.name, description=args.description, link=args.link)
    elif action == "show":
        version = data.get(args.ref)
    elif action == "diff":
        diff = data.diff(args.a, args.b)
        if as_json:
            print_json(diff.to_dict())
        else:
            print(diff)
        return 0
    elif action == "checkout":
        path = data.checkout(args.ref, args.dest, force=args.force)
        version = data.get(args.ref)
        if not as_json:
            print(f"checked out {version.ref} to {path}")
            return 0
    else:
        for key, value in args.tags:
            version = data.tag(args.ref, key, value)
    if as_json:
        print_json(version.info())
    else:
        print(version.describe() if action == "show" else version)
    return 0


def _list(name: str | None, as_json: bool) -> None:
    from jupyter_mlops import data

    frame = data.list(name)
    if as_json:
        print_json([_record(row) for row in frame.to_dict("records")])
        return
    if frame.empty:
        print("No datasets yet: add one with `jupyter-mlops data add PATH`.")
        return
    first = [Column("name", list(frame["name"])), Column("latest", _texts(frame["latest"]), True)]
    if name is not None:
        first = [Column("version", list(frame["ref"]))]
    print(
        render(
            [
                *first,
                Column("format", list(frame["format"])),
                Column("size", [fmt_size(int(s)) for s in frame["size"]], right=True),
                Column("rows", _texts(frame["rows"]), right=True),
                Column("digest", [d[:12] for d in frame["digest"]]),
                Column("created", [fmt_local_time(t.timestamp()) for t in frame["created_at"]]),
                Column("description", [_text(d) for d in frame["description"]]),
            ]
        )
    )


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _text(value: Any) -> str:
    return "-" if _missing(value) else str(value)


def _texts(values: Any) -> list[str]:
    return [_text(v) for v in values]


def _record(row: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {str(k): (None if _missing(v) else v) for k, v in row.items()}
    out["created_at"] = row["created_at"].timestamp()
    for key in ("rows", "latest", "versions", "version", "size"):
        value = out.get(key)
        if value is not None:
            out[key] = int(value)
    return out
