"""``%mlops runs``: find runs and show them in the runs table panel; delete, restore or
annotate runs.

%mlops runs --filter "metrics.auc > 0.9" --experiment churn
%mlops runs delete a1b2c3d4
%mlops runs note a1b2c3d4
%mlops runs note a1b2c3d4 --set "Baseline: **C=0.5**"

``%%mlops runs note RUN`` on a cell's first line keeps the cell's body (markdown) as the
run's note; ``runs note`` is the one action that takes a cell body.
"""

from __future__ import annotations

import argparse

from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.runs import RUNS, lifecycle_text, new_note, note_text
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.magics._args import parser_for
from jupyter_mlops.magics._display import show, show_text
from jupyter_mlops.services.schema import RunQuery
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = True

parser = parser_for(RUNS)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Display the runs table (filter, sort, pages, select to compare), newest first."""
    action = grammar.selected(RUNS, args)
    if cell is not None and action.name != "note":
        raise MlopsUsageError(
            "%%mlops runs takes a cell body only as a run's note: %%mlops runs note RUN."
        )
    if action.name == "note":
        _note(args, cell)
        return None
    if action is not RUNS:
        # start-up: the services load the store only when runs change.
        from jupyter_mlops.services import project, runs

        change_runs = runs.delete if action.name == "delete" else runs.restore
        change = change_runs(project.store(), grammar.request(RUNS, args))
        print(lifecycle_text(change, action.name))
        return None
    # start-up: the table loads ipywidgets and pandas (~500 ms); --help and bad arguments don't.
    from jupyter_mlops.widgets.runs import RunsTable

    query: RunQuery = grammar.request(RUNS, args)
    columns = [c.strip() for item in args.columns or () for c in item.split(",") if c.strip()]
    table = RunsTable(
        query.filter or None,
        experiments=query.experiment or None,
        columns=columns or None,
        order_by=", ".join(query.order_by) or "start_time desc",
        page_size=query.limit or 50,
    )
    if table.page.error:  # a mistake on the magic line is the cell's error
        table.close()
        raise MlopsUsageError(table.page.error)
    if table.page.total == 0:
        table.close()
        print("mlops: no runs match.")
        return None
    show(table)
    return None


def _note(args: argparse.Namespace, cell: str | None) -> None:
    """Show the note rendered (the lab's run page shows the same HTML), or change it."""
    # start-up: the store loads only when a note is read or kept.
    from jupyter_mlops.services import project, run_notes

    text = new_note(args, cell)
    store = project.store()
    if text is not None:
        note = run_notes.set_note(store, args.run, grammar.request(RUNS, args, note=text))
        print(note_text(note, changed=True))
    else:
        note = run_notes.get_note(store, args.run)
        if note.note:
            show_text(note.note, note.html)
        else:
            print(f"run {note.run_id[:8]} has no note")
