"""``%mlops schedule``: add, list, pause, resume, remove, run now, show history, export.

%mlops schedule add churn-drift --notebook monitor.ipynb --cron "0 6 * * *" --timezone UTC
%mlops schedule add nightly --pipeline pipeline.yaml --env staging --cron "0 2 * * *" -p train.C=0.5
%mlops schedule list
%mlops schedule run-now churn-drift
%mlops schedule history churn-drift
%mlops schedule export churn-drift --format github-actions
"""

from __future__ import annotations

import argparse

from jupyter_mlops import scheduler
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.magics._args import VerbParser, number, param_pair
from jupyter_mlops.magics._display import show, show_text
from jupyter_mlops.scheduler.export import FORMATS
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False
ACTIONS = ("add", "list", "pause", "resume", "remove", "run-now", "history", "export")

parser = VerbParser("schedule")
parser.add_argument("action", nargs="?", choices=ACTIONS, metavar="ACTION", help=", ".join(ACTIONS))
parser.add_argument("name", nargs="?", metavar="NAME", help="the schedule")
parser.add_argument("--notebook", metavar="NOTEBOOK", help="add: the notebook to run")
parser.add_argument("--pipeline", metavar="SPEC", help="add: the pipeline spec to run")
parser.add_argument("--cron", metavar="EXPR", help='add: e.g. "0 6 * * *"')
parser.add_argument("--timezone", metavar="TZ", default="UTC", help="add: IANA zone")
parser.add_argument("--env", metavar="ENV", help="add: the pipeline environment")
parser.add_argument(
    "-p", dest="params", action="append", type=param_pair, default=[], metavar="K=V"
)
parser.add_argument("--no-coalesce", action="store_true", help="add: run each missed tick")
parser.add_argument("--monitor-webhook", action="append", metavar="URL", help="add: alert URL")
parser.add_argument("--trigger-pipeline", metavar="SPEC", help="add: retrain on drift")
parser.add_argument("--trigger-env", metavar="ENV", help="add: the retrain's environment")
parser.add_argument("--drift-threshold", type=number, metavar="X", help="add: act at share X")
parser.add_argument("--format", choices=FORMATS, default="crontab", help="export: the format")


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Run one schedule action through :mod:`jupyter_mlops.scheduler` and show the result."""
    action = args.action or "list"
    if action == "list":
        import pandas as pd

        found = [vars(s) for s in scheduler.list_schedules()]
        show(pd.DataFrame(found) if found else "No schedules yet: %mlops schedule add NAME ...")
        return None
    if not args.name:
        raise MlopsUsageError(f"Give a schedule name: %mlops schedule {action} NAME.")
    name = args.name
    if action == "add":
        if not args.cron:
            raise MlopsUsageError('Give --cron "MIN HOUR DOM MON DOW", like --cron "0 6 * * *".')
        show(
            scheduler.add(
                name,
                notebook=args.notebook,
                pipeline=args.pipeline,
                cron=args.cron,
                timezone=args.timezone,
                env=args.env,
                params=dict(args.params),
                coalesce=not args.no_coalesce,
                monitor_webhook=args.monitor_webhook,
                trigger_pipeline=args.trigger_pipeline,
                trigger_env=args.trigger_env,
                drift_threshold=args.drift_threshold,
            )
        )
    elif action == "run-now":
        show(scheduler.run_now(name))
    elif action == "history":
        show(scheduler.history(name))
    elif action == "export":
        show_text(scheduler.export(name, format=args.format))
    elif action == "remove":
        scheduler.remove(name)
        print(f"mlops: removed schedule {name}.")
    else:
        show(scheduler.pause(name) if action == "pause" else scheduler.resume(name))
    return None
