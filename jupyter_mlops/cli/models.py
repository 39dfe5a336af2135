"""``jupyter-mlops models``: the registry as text for people, or the REST API's records as JSON."""

from __future__ import annotations

import argparse
import math
import shlex
from typing import TYPE_CHECKING

from pydantic import BaseModel

from jupyter_mlops.cli._common import (
    Subparsers,
    add_verb,
    fmt_local_time,
    fmt_number,
    marks,
    print_record,
    truncate,
)
from jupyter_mlops.cli._table import Column, render
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.models import MODELS
from jupyter_mlops.services.schema import (
    ModelList,
    ModelVersionInfo,
    ModelVersionList,
    PromotionHistory,
)
from jupyter_mlops.services.schema.export import ExportInfo

if TYPE_CHECKING:
    from jupyter_mlops.services.project import Store


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, MODELS)


def run(args: argparse.Namespace) -> int:
    # Imported here: the store and the registry load only when a command runs, not for --help.
    from jupyter_mlops.models.records import describe
    from jupyter_mlops.services import models, project

    store = project.store()
    action = grammar.selected(MODELS, args).name
    record: BaseModel
    if action == "export":
        return _export(store, args)
    if action == "list":
        record = models.list_models(store)
        text = models_text(record)
    elif action == "show" and (args.version is not None or args.name.startswith("models:/")):
        record = models.show_version(store, args.name, args.version)
        text = describe(record)
    elif action == "show":
        record = models.list_versions(store, args.name)
        text = versions_text(record)
    else:
        record = models.promotions(store, args.name, args.stage)
        text = history_text(record, args.stage)
    if args.format == "json":
        print_record(record)
    else:
        print(text)
    return 0


def _export(store: Store, args: argparse.Namespace) -> int:
    from jupyter_mlops.services import export  # start-up: only an export loads it

    info = export.export(store, grammar.request(MODELS, args))
    if args.json:
        print_record(info)
    else:
        print(export_text(info))
    return 0


def export_text(info: ExportInfo) -> str:
    """What an export wrote, and the command that runs it."""
    held = f" ({info.stage})" if info.stage else ""
    return (
        f"exported models:/{info.model_name}/{info.version}{held} as {info.format} into "
        f"{info.out} ({len(info.files)} files); run it with: {shlex.join(info.command)}"
    )


def models_text(listing: ModelList) -> str:
    """Every registered model as a table."""
    if not listing.items:
        return "No registered models yet: register one with mlops.models.register(run, NAME)."
    items = listing.items
    return render(
        [
            Column("name", [m.name for m in items]),
            Column("versions", [str(m.versions) for m in items], right=True),
            Column("latest", [str(m.latest_version or "-") for m in items], right=True),
            Column(
                "stages",
                [", ".join(f"{s}=v{v}" for s, v in m.stages.items()) or "-" for m in items],
            ),
            Column("updated", [fmt_local_time(m.updated_at) for m in items]),
        ]
    )


def _metric(version: ModelVersionInfo, key: str) -> str:
    value = version.metrics.get(key)
    return "-" if value is None or math.isnan(value) else fmt_number(value)


def versions_text(listing: ModelVersionList) -> str:
    """A model's versions, newest first, with their stages and card metrics."""
    items = listing.items
    keys = sorted({k for v in items for k in v.metrics})
    columns = [
        Column("version", [str(v.version) for v in items], right=True),
        Column("stages", [", ".join(v.stages) or "-" for v in items]),
        Column("class", [truncate(v.class_name.rsplit(".", 1)[-1], 30) for v in items]),
        Column("run", [(v.run_id or "-")[:8] for v in items]),
        Column("registered", [fmt_local_time(v.created_at) for v in items]),
        *(Column(f"metrics.{k}", [_metric(v, k) for v in items], right=True) for k in keys),
    ]
    header = f"{listing.name}: {len(items)} version{'s' if len(items) != 1 else ''}"
    return header + "\n" + render(columns)


def history_text(history: PromotionHistory, stage: str | None) -> str:
    """Every promotion attempt, oldest first, with each check's result."""
    if not history.items:
        return f"No promotion of {history.name} yet" + (f" to {stage}." if stage else ".")
    ok, bad = marks()
    lines = []
    for e in history.items:
        src = f"v{e.from_version}" if e.from_version is not None else "none"
        line = (
            f"{fmt_local_time(e.created_at)}  {e.stage}: {src} -> v{e.to_version}  "
            f"{e.outcome} ({e.action}) by {e.user or '?'}"
        )
        lines.append(line + (f": {e.reason}" if e.reason else ""))
        if e.detail:
            lines.append(f"    {e.detail}")
        lines.extend(f"    {ok if c.passed else bad} {c.message}" for c in e.checks)
    return "\n".join(lines)
