"""``jupyter-mlops schedule``: add, update, list, pause, resume, remove, run-now, history, export.

Text for people; ``--format json`` prints the REST API's record of the same answer.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from jupyter_mlops.cli._common import Subparsers, add_verb, fmt_local_time, print_record
from jupyter_mlops.cli._table import Column, render
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.schedule import SCHEDULE
from jupyter_mlops.services.schema import (
    ScheduleInfo,
    ScheduleList,
    ScheduleRemoved,
    ScheduleRunInfo,
    ScheduleRunList,
)


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, SCHEDULE)


def run(args: argparse.Namespace) -> int:
    # Imported here: the store and the scheduler load only when a command runs, not for --help.
    from jupyter_mlops.services import project, schedules

    action = grammar.selected(SCHEDULE, args).name
    store, root = project.store(), project.root()
    record: ScheduleInfo | ScheduleList | ScheduleRemoved | ScheduleRunInfo | ScheduleRunList
    if action == "export":
        print(schedules.export(store, args.name, grammar.request(SCHEDULE, args)).text, end="")
        return 0
    if action == "add":
        request = grammar.request(SCHEDULE, args)
        record = schedules.add(store, request, root=root, cwd=Path.cwd())
    elif action == "update":
        record = schedules.update(store, args.name, grammar.request(SCHEDULE, args), root=root)
    elif action == "list":
        record = schedules.list_schedules(store)
    elif action == "history":
        record = schedules.history(store, args.name, grammar.request(SCHEDULE, args), root=root)
    elif action == "run-now":
        record = schedules.run_now(store, args.name, root=root)
    elif action == "remove":
        record = schedules.remove(store, args.name)
    else:
        record = (schedules.pause if action == "pause" else schedules.resume)(store, args.name)
    if args.format == "json":
        print_record(record)
    else:
        print(text(action, record))
    if isinstance(record, ScheduleRunInfo) and record.status != "finished":
        return 1
    return 0


def _when(value: float | None) -> str:
    return fmt_local_time(value) if value else "-"


def text(
    action: str,
    record: ScheduleInfo | ScheduleList | ScheduleRemoved | ScheduleRunInfo | ScheduleRunList,
) -> str:
    """The answer of ``action`` as lines for a terminal."""
    if isinstance(record, ScheduleList):
        return schedules_table(record)
    if isinstance(record, ScheduleRunList):
        return history_table(record)
    if isinstance(record, ScheduleRemoved):
        return f"removed schedule {record.name}"
    if isinstance(record, ScheduleRunInfo):
        lines = [
            f"{record.schedule}: {record.status} (run {record.run_id or record.pipeline_run_id})"
        ]
        if record.output_notebook:
            lines.append(f"  notebook: {record.output_notebook}")
        if record.error:
            lines.append(f"  error: {record.error}")
        return "\n".join(lines)
    verb = {"add": "added", "update": "updated", "pause": "paused", "resume": "resumed"}[action]
    due = _when(record.next_due) if record.enabled else "never (paused)"
    return f"{verb} schedule {record.name}: {record.cron} ({record.timezone}); next due {due}"


def schedules_table(found: ScheduleList) -> str:
    """Every schedule, one line each."""
    items = found.items
    if not items:
        return "No schedules yet: add one with `jupyter-mlops schedule add NAME --notebook NB`."
    return render(
        [
            Column("name", [s.name for s in items]),
            Column("state", ["on" if s.enabled else "paused" for s in items]),
            Column("cron", [s.cron for s in items]),
            Column("timezone", [s.timezone for s in items]),
            Column("next due", [_when(s.next_due if s.enabled else None) for s in items]),
            Column("target", [f"{s.target_kind} {s.target}" for s in items]),
            Column("monitor", ["yes" if s.monitor else "-" for s in items]),
        ]
    )


def history_table(found: ScheduleRunList) -> str:
    """The ticks of a schedule, newest first."""
    rows = found.items
    if not rows:
        return f"Schedule {found.name!r} has not run yet."
    return render(
        [
            Column("tick", [_when(r.tick) for r in rows]),
            Column("status", [r.status for r in rows]),
            Column("run", [(r.run_id or r.pipeline_run_id or "-")[:8] for r in rows]),
            Column("output", [r.output_notebook or "-" for r in rows]),
            Column("error", [r.error or "" for r in rows]),
        ]
    )
