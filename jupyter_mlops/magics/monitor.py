"""``%mlops monitor``: each monitor's latest verdict, or one's history and timeline chart.

%mlops monitor list
%mlops monitor history churn-drift
%mlops monitor history churn-drift --metric roc_auc --threshold 0.3
"""

from __future__ import annotations

import argparse

from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.monitor import MONITOR
from jupyter_mlops.magics._args import parser_for
from jupyter_mlops.magics._display import show
from jupyter_mlops.magics.schedule import frame
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = parser_for(MONITOR)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Show every monitor's latest verdict, or one monitor's runs with the chart."""
    # Imported here: the store, pandas and ipywidgets load on first use, not for --help.
    from jupyter_mlops.services import monitors, project
    from jupyter_mlops.widgets.monitor import MonitorTimeline

    if grammar.selected(MONITOR, args).name == "list":
        found = monitors.list_monitors(project.store()).items
        show(frame(found, times=("latest_time",)) if found else "No monitors yet.")
        return None
    query = grammar.request(MONITOR, args)
    show(MonitorTimeline(args.name, metrics=query.metrics, threshold=args.threshold))
    return None
