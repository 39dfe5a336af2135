"""``%mlops schedule``: add, update, list, pause, resume, remove, run now, show history, export.

%mlops schedule add churn-drift --notebook monitor.ipynb --cron "0 6 * * *" --timezone UTC
%mlops schedule add nightly --pipeline pipeline.yaml --env staging --cron "0 2 * * *" -p train.C=0.5
%mlops schedule update nightly --cron "30 2 * * 1-5" --timezone Europe/Paris
%mlops schedule list
%mlops schedule run-now churn-drift
%mlops schedule history churn-drift
%mlops schedule export churn-drift --format github-actions
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.schedule import SCHEDULE
from jupyter_mlops.magics._args import parser_for
from jupyter_mlops.magics._display import show, show_text
from jupyter_mlops.tracking.notebook import NotebookSession

if TYPE_CHECKING:
    import pandas as pd

CELL = False

parser = parser_for(SCHEDULE)

_NONE = "No schedules yet: %mlops schedule add NAME --notebook NB --cron EXPR"
_NEVER = "This schedule has not run yet."


def frame(records: Sequence[BaseModel], *, times: Sequence[str] = ()) -> pd.DataFrame:
    """Records as a table, their epoch-second ``times`` as dates."""
    import pandas as pd  # Imported here: a table only for the actions that show one.

    table = pd.DataFrame([r.model_dump(mode="json") for r in records])
    for column in times:
        if column in table:
            table[column] = pd.to_datetime(table[column], unit="s", utc=True)
    return table


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Run one schedule action through the schedules service and show its answer."""
    # Imported here: the store and the scheduler load on first use, not for --help.
    from jupyter_mlops.services import project, schedules

    action = grammar.selected(SCHEDULE, args).name
    store, root = project.store(), project.root()
    if action == "list":
        found = schedules.list_schedules(store).items
        show(frame(found, times=("next_due", "last_tick")) if found else _NONE)
    elif action == "history":
        query = grammar.request(SCHEDULE, args)
        ticks = schedules.history(store, args.name, query, root=root).items
        show(frame(ticks, times=("tick", "started", "ended")) if ticks else _NEVER)
    elif action == "export":
        show_text(schedules.export(store, args.name, grammar.request(SCHEDULE, args)).text)
    elif action == "remove":
        schedules.remove(store, args.name)
        print(f"mlops: removed schedule {args.name}.")
    elif action == "run-now":
        done = schedules.run_now(store, args.name, root=root)
        lines = [f"{done.schedule}: {done.status} (run {done.run_id or done.pipeline_run_id})"]
        if done.output_notebook:
            lines.append(f"  notebook: {done.output_notebook}")
        if done.error:
            lines.append(f"  error: {done.error}")
        show_text("\n".join(lines))
    else:
        if action == "add":
            request = grammar.request(SCHEDULE, args)
            sched = schedules.add(store, request, root=root, cwd=Path.cwd())
        elif action == "update":
            request = grammar.request(SCHEDULE, args)
            sched = schedules.update(store, args.name, request, root=root)
        else:
            sched = (schedules.pause if action == "pause" else schedules.resume)(store, args.name)
        show(frame([sched], times=("next_due", "last_tick")))
    return None
