"""``jupyter-mlops runs``: a table for people, the REST API's JSON or the search frame as CSV.

``runs delete``, ``runs restore`` and ``runs note`` delete, restore and annotate runs.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys

from jupyter_mlops.cli._common import (
    Subparsers,
    add_verb,
    fmt_duration,
    fmt_local_time,
    fmt_number,
    print_record,
    truncate,
)
from jupyter_mlops.cli._table import Column, fit, render
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.runs import RUNS, lifecycle_text, new_note, note_text
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.services.schema import RunPage, RunQuery

_GROUPS = ("metrics", "params", "tags")
_QUOTES = '`"'
_REFERENCE = re.compile(r"\b(metrics?|params?|tags?)\.(`[^`]*`|\"[^\"]*\"|[A-Za-z0-9_.]+)")


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, RUNS)


def run(args: argparse.Namespace) -> int:
    # Imported here: the store and pandas load only when a command runs, not for --help.
    from jupyter_mlops.services import project, runs

    action = grammar.selected(RUNS, args)
    if action.name == "note":
        return _note(args)
    if action is not RUNS:
        change_runs = runs.delete if action.name == "delete" else runs.restore
        change = change_runs(project.store(), grammar.request(RUNS, args))
        print(lifecycle_text(change, action.name))
        return 0
    query: RunQuery = grammar.request(RUNS, args)
    store = project.store()
    if args.format == "csv":
        runs.frame(store, query).to_csv(sys.stdout, index=False)
        return 0
    page = runs.search(store, query)
    if args.format == "json":
        print_record(page)
    else:
        print_table(page, query, columns=args.columns)
    return 0


def _note(args: argparse.Namespace) -> int:
    from jupyter_mlops.services import project, run_notes

    text = new_note(args)
    store = project.store()
    if text is None:
        note = run_notes.get_note(store, args.run)
    else:
        note = run_notes.set_note(store, args.run, grammar.request(RUNS, args, note=text))
    if args.format == "json":
        print_record(note)
    elif text is None and not note.note:
        # stdout stays the note itself (empty), for scripts; people are told why.
        print(f"run {note.run_id[:8]} has no note", file=sys.stderr)
    else:
        said = note_text(note, changed=text is not None)
        sys.stdout.write(said if said.endswith("\n") else said + "\n")
    return 0


def print_table(page: RunPage, query: RunQuery, *, columns: list[str] | None) -> None:
    """Print runs as a table that fits the terminal, with a footer saying what was left out."""
    if not page.items:
        print("No runs match." if query.filter or query.experiment else "No runs yet.")
        return
    width = shutil.get_terminal_size((120, 24)).columns
    items = page.items
    fixed = [
        Column("id", [r.short_id for r in items]),
        Column("name", [truncate(r.name, 30) for r in items]),
        Column("experiment", [truncate(r.experiment, 24) for r in items]),
        Column("status", [r.status for r in items]),
        Column("started", [fmt_local_time(r.start_time) for r in items]),
        Column("duration", [_duration(r.status, r.duration) for r in items], right=True),
    ]
    present = _present(page)
    optional = [_value_column(page, name) for name in _optional(present, query, columns)]
    shown, hidden = fit(fixed, optional, width)
    print(render(shown))
    notes = [f"{len(items)} run{'s' if len(items) != 1 else ''}"]
    if page.total > page.offset + len(items):
        notes.append("more not shown: use --limit N (0 for all)")
    if hidden:
        notes.append(
            f"{hidden} column{'s' if hidden != 1 else ''} hidden: choose with --columns, "
            "or use --format csv"
        )
    print("(" + "; ".join(notes) + ")")


def _duration(status: str, seconds: float | None) -> str:
    if status == "running" and seconds is None:
        return "running"
    return fmt_duration(seconds)


def _present(page: RunPage) -> list[str]:
    """Every ``group.key`` some run on the page has: metrics, then params, then tags; in each,
    those most runs have first (a narrow terminal shows those), then by name."""
    found: dict[str, int] = {}
    for group in _GROUPS:
        for item in page.items:
            for key in getattr(item, group):
                name = f"{group}.{key}"
                found[name] = found.get(name, 0) + 1
    return sorted(
        found, key=lambda name: (_GROUPS.index(name.split(".", 1)[0]), -found[name], name)
    )


def _optional(present: list[str], query: RunQuery, columns: list[str] | None) -> list[str]:
    """Columns after the fixed ones: chosen, then referenced, then metrics, then params."""
    chosen = [
        _resolve(present, name.strip())
        for item in columns or ()
        for name in item.split(",")
        if name.strip()
    ]
    if chosen:
        return list(dict.fromkeys(chosen))
    referenced = [
        f"{kind.rstrip('s')}s.{key.strip(_QUOTES)}"
        for text in (*query.order_by, query.filter)
        for kind, key in _REFERENCE.findall(text)
    ]
    ordered = [name for name in referenced if name in present]
    ordered += [c for c in present if c.startswith(("metrics.", "params."))]
    return list(dict.fromkeys(ordered))


def _resolve(present: list[str], name: str) -> str:
    """A --columns name: ``metrics.KEY`` (or ``metric.KEY``) and so on, or a bare KEY."""
    group, dot, key = name.partition(".")
    if dot and group.rstrip("s") + "s" in _GROUPS:
        return f"{group.rstrip('s')}s.{key}"
    matches = [f"{group}.{name}" for group in _GROUPS if f"{group}.{name}" in present]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise MlopsUsageError(f"column {name!r} is ambiguous; give {' or '.join(matches)}.")
    raise MlopsUsageError(
        f"no column {name!r} in these runs; give metrics.{name}, params.{name} or tags.{name}."
    )


def _value_column(page: RunPage, name: str) -> Column:
    group, _, key = name.partition(".")
    values = [getattr(item, group).get(key) for item in page.items]
    if group == "metrics":
        cells = ["-" if v is None else fmt_number(float(v)) for v in values]
        return Column(name, cells, right=True)
    return Column(name, ["-" if v is None else truncate(str(v), 20) for v in values])
