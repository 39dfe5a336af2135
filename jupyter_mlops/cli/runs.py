"""List runs, newest first: a table for people, JSON or CSV for scripts.

The filter language is the one of `mlops.search_runs`, e.g.
  metrics.auc > 0.9 and params.C = '0.5' and tags.owner = 'ana' and status = 'finished'

The table fits the terminal: metrics and params named in --columns, --order-by or
--filter come first, then other metrics, then params, while they fit.

examples:
  jupyter-mlops runs --experiment churn --order-by "metrics.auc desc" --limit 10
  jupyter-mlops runs --filter "metrics.auc > 0.9" --format json | jq '.[].run_id'
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import sys
from typing import TYPE_CHECKING, Any

from jupyter_mlops.cli._common import (
    Subparsers,
    add_command,
    add_format,
    fmt_duration,
    fmt_local_time,
    fmt_number,
    non_negative_int,
    print_json,
    truncate,
)
from jupyter_mlops.cli._table import Column, fit, render
from jupyter_mlops.errors import MlopsUsageError

if TYPE_CHECKING:
    import pandas as pd

TABLE_LIMIT = 50
_GROUPS = ("metrics", "params", "tags")
_QUOTES = '`"'
_REFERENCE = re.compile(r"\b(metrics?|params?|tags?)\.(`[^`]*`|\"[^\"]*\"|[A-Za-z0-9_.]+)")


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "runs", __doc__)
    parser.add_argument("-f", "--filter", metavar="EXPR", help="only runs matching EXPR")
    parser.add_argument(
        "-e",
        "--experiment",
        dest="experiments",
        metavar="E",
        nargs="+",
        action="extend",
        help="only runs of these experiments (repeatable)",
    )
    parser.add_argument(
        "--order-by",
        metavar="KEY",
        nargs="+",
        action="extend",
        help='sort keys such as "metrics.auc desc" or name (default: start_time desc)',
    )
    parser.add_argument(
        "-n",
        "--limit",
        type=non_negative_int,
        metavar="N",
        help=f"at most N runs, 0 for all (default: {TABLE_LIMIT} in a table, all otherwise)",
    )
    parser.add_argument(
        "-c",
        "--columns",
        metavar="COLS",
        action="append",
        help="table columns to add, comma-separated: metrics.auc,params.C,tags.owner",
    )
    add_format(
        parser,
        "table",
        "json",
        "csv",
        help="table for people (default); json (one object per run, times in epoch "
        "seconds) or csv (the search_runs frame) for scripts",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    from jupyter_mlops.tracking.fluent import search_runs

    limit = args.limit if args.limit is not None else (TABLE_LIMIT if args.format == "table" else 0)
    frame = search_runs(
        args.filter,
        experiments=args.experiments,
        order_by=args.order_by,
        # One more than asked tells whether there were more.
        limit=limit + 1 if limit else None,
    )
    more = bool(limit) and len(frame) > limit
    if more:
        frame = frame.iloc[:limit]
    if args.format == "json":
        print_json([run_dict(row) for row in frame.to_dict("records")])
    elif args.format == "csv":
        frame.to_csv(sys.stdout, index=False)
    else:
        print_table(frame, args, more=more)
    return 0


def run_dict(row: dict[Any, Any]) -> dict[str, Any]:
    """One frame row as nested JSON: attributes, then params, metrics and tags that are set."""
    out: dict[str, Any] = {}
    groups: dict[str, dict[str, Any]] = {group: {} for group in _GROUPS}
    for name, value in row.items():
        column = str(name)
        group, dot, key = column.partition(".")
        if dot and group in groups:
            if not _missing(value):
                groups[group][key] = float(value) if group == "metrics" else str(value)
        elif column in ("start_time", "end_time"):
            out[column] = None if _missing(value) else value.timestamp()
        else:
            out[column] = None if _missing(value) else value
    return out | groups


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def print_table(frame: pd.DataFrame, args: argparse.Namespace, *, more: bool) -> None:
    """Print runs as a table that fits the terminal, with a footer saying what was left out."""
    if frame.empty:
        print("No runs match." if args.filter or args.experiments else "No runs yet.")
        return
    width = shutil.get_terminal_size((120, 24)).columns
    fixed = [
        Column("id", list(frame["short_id"])),
        Column("name", [truncate(str(v), 30) for v in frame["name"]]),
        Column("experiment", [truncate(str(v), 24) for v in frame["experiment"]]),
        Column("status", list(frame["status"])),
        Column("started", [fmt_local_time(_time(v)) for v in frame["start_time"]]),
        Column("duration", [_duration(row) for row in frame.itertuples()], right=True),
    ]
    optional = [_value_column(frame, name) for name in _optional_columns(frame, args)]
    shown, hidden = fit(fixed, optional, width)
    print(render(shown))
    notes = [f"{len(frame)} run{'s' if len(frame) != 1 else ''}"]
    if more:
        notes.append("more not shown: use --limit N (0 for all)")
    if hidden:
        notes.append(
            f"{hidden} column{'s' if hidden != 1 else ''} hidden: choose with --columns, "
            "or use --format csv"
        )
    print("(" + "; ".join(notes) + ")")


def _time(value: Any) -> float | None:
    return None if _missing(value) else float(value.timestamp())


def _duration(row: Any) -> str:
    if row.status == "running" and _missing(row.end_time):
        return "running"
    return fmt_duration(None if _missing(row.duration) else float(row.duration))


def _optional_columns(frame: pd.DataFrame, args: argparse.Namespace) -> list[str]:
    """Columns after the fixed ones: chosen, then referenced, then metrics, then params."""
    chosen = [
        _resolve(frame, name.strip())
        for item in args.columns or ()
        for name in item.split(",")
        if name.strip()
    ]
    if chosen:
        return list(dict.fromkeys(chosen))
    referenced = [
        f"{kind.rstrip('s')}s.{key.strip(_QUOTES)}"
        for text in (*(args.order_by or ()), args.filter or "")
        for kind, key in _REFERENCE.findall(text)
    ]
    present = set(frame.columns)
    ordered = [name for name in referenced if name in present]
    ordered += [c for c in frame.columns if c.startswith("metrics.")]
    ordered += [c for c in frame.columns if c.startswith("params.")]
    return list(dict.fromkeys(ordered))


def _resolve(frame: pd.DataFrame, name: str) -> str:
    """A --columns name: ``metrics.KEY`` (or ``metric.KEY``) and so on, or a bare KEY."""
    group, dot, key = name.partition(".")
    if dot and group.rstrip("s") + "s" in _GROUPS:
        return f"{group.rstrip('s')}s.{key}"
    if name in frame.columns:
        return name
    matches = [f"{group}.{name}" for group in _GROUPS if f"{group}.{name}" in frame.columns]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise MlopsUsageError(f"column {name!r} is ambiguous; give {' or '.join(matches)}.")
    raise MlopsUsageError(
        f"no column {name!r} in these runs; give metrics.{name}, params.{name} or tags.{name}."
    )


def _value_column(frame: pd.DataFrame, name: str) -> Column:
    if name not in frame.columns:
        return Column(name, ["-"] * len(frame))
    values = list(frame[name])
    if name.startswith("metrics.") or name == "duration":
        cells = ["-" if _missing(v) or math.isnan(v) else fmt_number(float(v)) for v in values]
        return Column(name, cells, right=True)
    return Column(name, ["-" if _missing(v) else truncate(str(v), 20) for v in values])
