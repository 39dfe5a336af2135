"""``schedule``: run notebooks and pipelines on a cron schedule; list, pause, run now, history,
export."""

from __future__ import annotations

import typing

from jupyter_mlops.commands.grammar import Opt, Verb, text_or_json
from jupyter_mlops.services.schema import (
    ExportFormat,
    ScheduleCreate,
    ScheduleExportQuery,
    ScheduleHistoryQuery,
    ScheduleUpdate,
)


def name_of(what: str = "the schedule") -> Opt:
    """The NAME positional."""
    return Opt("name", metavar="NAME", help=what)


ADD = Verb(
    "add",
    "Add a schedule of a notebook or pipeline.",
    request=ScheduleCreate,
    opts=(
        Opt("name", metavar="NAME"),
        Opt("notebook", ("--notebook",), metavar="NOTEBOOK"),
        Opt("pipeline", ("--pipeline",), metavar="SPEC"),
        Opt("cron", ("--cron",), metavar="EXPR"),
        Opt("timezone", ("--timezone",), metavar="TZ"),
        Opt("env", ("--env",), metavar="ENV"),
        Opt("params", ("-p", "--param"), metavar="KEY=VALUE"),
        Opt("coalesce", ("--no-coalesce",), help="run each missed tick (10 at most), not once"),
        Opt("monitor_webhook", ("--monitor-webhook",), metavar="URL"),
        Opt("trigger_pipeline", ("--trigger-pipeline",), metavar="SPEC"),
        Opt("trigger_env", ("--trigger-env",), metavar="ENV"),
        Opt("drift_threshold", ("--drift-threshold",), metavar="X"),
        text_or_json("ScheduleInfo"),
    ),
    description="""\
The target is checked as `jupyter-mlops run` checks it, now and again at every tick: a file
of the project, a spec that loads, a known --env, known parameters. A parameter is typed
by the default in the notebook's parameters cell (C = 1.0 makes -p C=1 the float 1.0; for a
pipeline, -p train.C=0.5 by the train step's notebook).""",
)

UPDATE = Verb(
    "update",
    "Change a schedule's cron expression, timezone, environment or parameters.",
    request=ScheduleUpdate,
    opts=(
        name_of(),
        Opt("cron", ("--cron",), metavar="EXPR"),
        Opt("timezone", ("--timezone",), metavar="TZ"),
        Opt("env", ("--env",), metavar="ENV"),
        Opt("clear_env", ("--clear-env",)),
        Opt("params", ("-p", "--param"), metavar="KEY=VALUE"),
        text_or_json("ScheduleInfo"),
    ),
    description="""\
What is not given stays; -p replaces every parameter. Checked as `schedule add` checks it
(nothing changes when refused); a new --cron or --timezone moves the next tick.""",
)

SCHEDULE = Verb(
    "schedule",
    "Run a notebook or pipeline on a cron schedule; list, pause, run now, history, export.",
    example='%mlops schedule add churn-drift --notebook monitor.ipynb --cron "0 6 * * *"',
    actions=(
        ADD,
        UPDATE,
        Verb("list", "Every schedule (the default).", opts=(text_or_json("ScheduleList"),)),
        Verb(
            "pause",
            "Stop a schedule until resumed.",
            opts=(name_of(), text_or_json("ScheduleInfo")),
        ),
        Verb(
            "resume",
            "Run a paused schedule again from its next tick.",
            opts=(name_of(), text_or_json("ScheduleInfo")),
        ),
        Verb(
            "remove",
            "Delete a schedule and its history (the runs it produced stay).",
            opts=(name_of(), text_or_json("ScheduleRemoved")),
        ),
        Verb(
            "run-now",
            "Run a schedule once now and wait (exit 1 if it fails).",
            opts=(name_of(), text_or_json("ScheduleRunInfo")),
        ),
        Verb(
            "history",
            "The ticks of a schedule, newest first.",
            request=ScheduleHistoryQuery,
            opts=(
                name_of(),
                Opt("limit", ("-n", "--limit"), metavar="N"),
                text_or_json("ScheduleRunList"),
            ),
        ),
        Verb(
            "export",
            "Write a schedule for other infrastructure.",
            request=ScheduleExportQuery,
            opts=(name_of(), Opt("format", ("--format",), choices=typing.get_args(ExportFormat))),
        ),
    ),
    default="list",
    description="""\
Schedules run under `jupyter-mlops scheduler` (or the Jupyter server extension). A cron
expression has five fields and is read in --timezone (default UTC). Missed ticks run once
(--no-coalesce runs each, the newest 10 at most); a tick that comes while the previous run
is still going is recorded as skipped.

examples:
  jupyter-mlops schedule add churn-drift --notebook monitor.ipynb --cron "0 6 * * *" \\
      --timezone Europe/Paris -p window=7 --monitor-webhook https://hooks.example/x \\
      --trigger-pipeline pipeline.yaml --trigger-env production --drift-threshold 0.3
  jupyter-mlops schedule add nightly --pipeline pipeline.yaml --env staging --cron "0 2 * * *"
  jupyter-mlops schedule update nightly --cron "30 2 * * 1-5" --timezone Europe/Paris
  jupyter-mlops schedule list
  jupyter-mlops schedule run-now churn-drift
  jupyter-mlops schedule history churn-drift
  jupyter-mlops schedule export churn-drift --format kubernetes > cronjob.yaml
""",
)
