"""List registered models, show a model's versions or one version's card, or its audit trail.

MODEL is a registered model's name; a version is a number, or give a URI such as
models:/churn/3, models:/churn@production or models:/churn (latest).

examples:
  jupyter-mlops models
  jupyter-mlops models show churn
  jupyter-mlops models show models:/churn@production --format json | jq .card.metrics
  jupyter-mlops models history churn --stage production
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from jupyter_mlops.cli._common import (
    Parser,
    Subparsers,
    add_command,
    add_format,
    fmt_local_time,
    fmt_number,
    marks,
    print_json,
    truncate,
)
from jupyter_mlops.cli._table import Column, render
from jupyter_mlops.commands.grammar import one_of


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "models", __doc__)
    add_format(parser, "text", "json", help="text for people (default), json for scripts")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser)
    listing = actions.add_parser("list", help="every registered model (the default)")
    show = actions.add_parser("show", help="a model's versions, or one version's card")
    show.add_argument("model", metavar="MODEL", help="a model name or a models:/ URI")
    show.add_argument("version", metavar="VERSION", nargs="?", help="show this version's card")
    history = actions.add_parser("history", help="every promotion attempt of a model")
    history.add_argument("model", metavar="MODEL", help="a model name")
    history.add_argument("--stage", metavar="STAGE", help="only this stage")
    for sub in (listing, show, history):
        # Also accepted after the action; the parent's default stays unless given here.
        sub.add_argument(
            "--format", type=one_of("text", "json"), default=argparse.SUPPRESS, help="text or json"
        )
    return parser


def run(args: argparse.Namespace) -> int:
    from jupyter_mlops import models

    action = args.action or "list"
    if action == "list":
        frame = models.list_models()
        if args.format == "json":
            print_json([_list_row(row) for row in frame.to_dict("records")])
        elif frame.empty:
            print("No registered models yet: register one with mlops.models.register(run, NAME).")
        else:
            print(
                render(
                    [
                        Column("name", list(frame["name"])),
                        Column("versions", [str(v) for v in frame["versions"]], right=True),
                        Column("latest", [_text(v) for v in frame["latest_version"]], right=True),
                        Column("stages", [s or "-" for s in frame["stages"]]),
                        Column(
                            "updated", [fmt_local_time(t.timestamp()) for t in frame["updated_at"]]
                        ),
                    ]
                )
            )
    elif action == "show" and (args.version is not None or args.model.startswith("models:/")):
        version = models.get(args.model, args.version)
        if args.format == "json":
            print_json(version.to_dict())
        else:
            print(version)
    elif action == "show":
        _show_versions(args.model, args.format)
    else:
        _show_history(args.model, args.stage, args.format)
    return 0


def _text(value: Any) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _list_row(row: dict[Any, Any]) -> dict[str, Any]:
    return {
        "name": row["name"],
        "versions": int(row["versions"]),
        "latest_version": None
        if _text(row["latest_version"]) == "-"
        else int(row["latest_version"]),
        "stages": row["stages"],
        "description": row["description"],
        "created_at": row["created_at"].timestamp(),
        "updated_at": row["updated_at"].timestamp(),
    }


def _show_versions(name: str, fmt: str) -> None:
    from jupyter_mlops import models

    frame = models.list_versions(name)
    if fmt == "json":
        print_json([models.get(name, int(v)).to_dict() for v in frame["version"]])
        return
    metrics = [c for c in frame.columns if c.startswith("metrics.")]
    columns = [
        Column("version", [str(v) for v in frame["version"]], right=True),
        Column("stages", [s or "-" for s in frame["stages"]]),
        Column("class", [truncate(c.rsplit(".", 1)[-1], 30) for c in frame["class_name"]]),
        Column("run", [(r or "-")[:8] for r in frame["run_id"]]),
        Column("registered", [fmt_local_time(t.timestamp()) for t in frame["created_at"]]),
        *(
            Column(m, ["-" if math.isnan(v) else fmt_number(v) for v in frame[m]], right=True)
            for m in metrics
        ),
    ]
    print(f"{name}: {len(frame)} version{'s' if len(frame) != 1 else ''}")
    print(render(columns))


def _show_history(name: str, stage: str | None, fmt: str) -> None:
    from jupyter_mlops import models

    events = models.events(name, stage=stage)
    if fmt == "json":
        print_json(
            [
                {
                    "id": e.id,
                    "created_at": e.created_at,
                    "stage": e.stage,
                    "action": e.action,
                    "from_version": e.from_version,
                    "to_version": e.to_version,
                    "outcome": e.outcome,
                    "checks": [c.to_dict() for c in e.checks],
                    "validation": e.validation,
                    "detail": e.detail,
                    "reason": e.reason,
                    "user": e.user,
                    "host": e.host,
                }
                for e in events
            ]
        )
        return
    if not events:
        print(f"No promotion of {name} yet" + (f" to {stage}." if stage else "."))
        return
    ok, bad = marks()
    for e in events:
        src = f"v{e.from_version}" if e.from_version is not None else "none"
        line = (
            f"{fmt_local_time(e.created_at)}  {e.stage}: {src} -> v{e.to_version}  "
            f"{e.outcome} ({e.action}) by {e.user or '?'}"
        )
        print(line + (f": {e.reason}" if e.reason else ""))
        if e.detail:
            print(f"    {e.detail}")
        for check in e.checks:
            print(f"    {ok if check.passed else bad} {check.message}")
