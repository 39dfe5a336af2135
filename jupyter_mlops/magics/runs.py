"""``%mlops runs``: find runs and show them in the runs table panel."""

from __future__ import annotations

import argparse

from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.runs import RUNS, lifecycle_text
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.magics._args import parser_for
from jupyter_mlops.magics._display import show
from jupyter_mlops.services.schema import RunQuery
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = parser_for(RUNS)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Display the runs table (filter, sort, pages, select to compare), newest first."""
    # start-up: the table loads ipywidgets and pandas (~500 ms); --help and bad arguments don't.
    from jupyter_mlops.widgets.runs import RunsTable

    action = grammar.selected(RUNS, args)
    if action is not RUNS:
        # start-up: the services load the store only when runs change.
        from jupyter_mlops.services import project, runs

        change_runs = runs.delete if action.name == "delete" else runs.restore
        change = change_runs(project.store(), grammar.request(RUNS, args))
        print(lifecycle_text(change, action.name))
        return None
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
