"""Run notebooks and pipelines on a schedule: add, list, pause, resume, remove, run-now, history.

Schedules run under `jupyter-mlops scheduler` (or the Jupyter server extension). A cron
expression has five fields and is read in --timezone (default UTC). Missed ticks run once
(--no-coalesce runs each, the newest 10 at most); a tick that comes while the previous run
is still going is recorded as skipped.

examples:
  jupyter-mlops schedule add churn-drift --notebook monitor.ipynb --cron "0 6 * * *" \\
      --timezone Europe/Paris -p window=7 --monitor-webhook https://hooks.example/x \\
      --trigger-pipeline pipeline.yaml --trigger-env production --drift-threshold 0.3
  jupyter-mlops schedule add nightly --pipeline pipeline.yaml --env staging --cron "0 2 * * *"
  jupyter-mlops schedule list
  jupyter-mlops schedule run-now churn-drift
  jupyter-mlops schedule history churn-drift
  jupyter-mlops schedule export churn-drift --format kubernetes > cronjob.yaml
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from jupyter_mlops.cli._common import (
    Parser,
    Subparsers,
    add_command,
    fmt_local_time,
    print_json,
)
from jupyter_mlops.cli._table import Column, render
from jupyter_mlops.commands.grammar import one_of

ACTIONS = ("add", "list", "pause", "resume", "remove", "run-now", "history", "export")


def param(text: str) -> tuple[str, Any]:
    """Parse ``-p KEY=VALUE``; VALUE is JSON when it parses (``0.5``, ``true``), else text."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {text!r}")
    try:
        return key.strip(), json.loads(value)
    except ValueError:
        return key.strip(), value


def _fraction(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], not {text!r}") from None


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    from jupyter_mlops.scheduler.export import FORMATS

    parser = add_command(subparsers, "schedule", __doc__)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser)
    add = actions.add_parser("add", help="add a schedule")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--notebook", metavar="NOTEBOOK", help="the notebook to run")
    add.add_argument("--pipeline", metavar="SPEC", help="the pipeline spec to run")
    add.add_argument("--cron", metavar="EXPR", required=True, help='e.g. "0 6 * * *"')
    add.add_argument("--timezone", metavar="TZ", default="UTC", help="IANA zone (default UTC)")
    add.add_argument("--env", metavar="ENV", help="the pipeline environment")
    add.add_argument(
        "-p", dest="params", action="append", type=param, default=[], metavar="KEY=VALUE"
    )
    add.add_argument("--no-coalesce", action="store_true", help="run each missed tick")
    add.add_argument(
        "--monitor-webhook", action="append", metavar="URL", help="POST drift alerts here"
    )
    add.add_argument("--trigger-pipeline", metavar="SPEC", help="run this pipeline on drift")
    add.add_argument("--trigger-env", metavar="ENV", help="the triggered pipeline's environment")
    add.add_argument(
        "--drift-threshold", type=_fraction, metavar="X", help="act when drift share >= X"
    )
    actions.add_parser("list", help="every schedule (the default)")
    for verb, text in (
        ("pause", "stop a schedule until resumed"),
        ("resume", "run a paused schedule again from its next tick"),
        ("remove", "delete a schedule and its history"),
        ("run-now", "run a schedule once now and wait (exit 1 if it fails)"),
    ):
        actions.add_parser(verb, help=text).add_argument("name", metavar="NAME")
    history = actions.add_parser("history", help="the runs of a schedule")
    history.add_argument("name", metavar="NAME")
    history.add_argument("--limit", type=int, default=20, metavar="N")
    export = actions.add_parser("export", help="write the schedule for other infrastructure")
    export.add_argument("name", metavar="NAME")
    export.add_argument("--format", type=one_of(*FORMATS), default="crontab")
    for sub in actions.choices.values():
        if sub.prog.split()[-1] not in ("export",):
            sub.add_argument("--json", action="store_true", help="print JSON for scripts")
    return parser


def _when(value: float | None) -> str:
    return fmt_local_time(value) if value else "-"


def _list(as_json: bool) -> None:
    from jupyter_mlops import scheduler

    found = scheduler.list_schedules()
    if as_json:
        print_json([s.__dict__ for s in found])
        return
    if not found:
        print("No schedules yet: add one with `jupyter-mlops schedule add NAME --notebook NB`.")
        return
    print(
        render(
            [
                Column("name", [s.name for s in found]),
                Column("state", ["on" if s.enabled else "paused" for s in found]),
                Column("cron", [s.cron for s in found]),
                Column("timezone", [s.timezone for s in found]),
                Column("next due", [_when(s.next_due if s.enabled else None) for s in found]),
                Column("target", [f"{s.target_kind} {s.target}" for s in found]),
                Column("monitor", ["yes" if s.monitor else "-" for s in found]),
            ]
        )
    )


def _history(name: str, limit: int, as_json: bool) -> None:
    from jupyter_mlops import scheduler

    rows = scheduler.runs(name, limit=limit)
    if as_json:
        print_json([r.__dict__ for r in rows])
        return
    if not rows:
        print(f"Schedule {name!r} has not run yet.")
        return
    print(
        render(
            [
                Column("tick", [_when(r.tick) for r in rows]),
                Column("status", [r.status for r in rows]),
                Column("run", [(r.run_id or r.pipeline_run_id or "-")[:8] for r in rows]),
                Column("output", [r.output_notebook or "-" for r in rows]),
                Column("error", [r.error or "" for r in rows]),
            ]
        )
    )


def run(args: argparse.Namespace) -> int:
    from jupyter_mlops import scheduler

    action = args.action or "list"
    as_json = bool(getattr(args, "json", False))
    if action == "list":
        _list(as_json)
        return 0
    if action == "history":
        _history(args.name, args.limit, as_json)
        return 0
    if action == "export":
        print(scheduler.export(args.name, format=args.format), end="")
        return 0
    if action == "add":
        sched = scheduler.add(
            args.name,
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
        verb = "added"
    elif action == "run-now":
        done = scheduler.run_now(args.name)
        if as_json:
            print_json(done.__dict__)
        else:
            print(f"{args.name}: {done.status} (run {done.run_id or done.pipeline_run_id})")
            if done.output_notebook:
                print(f"  notebook: {done.output_notebook}")
            if done.error:
                print(f"  error: {done.error}")
        return 0 if done.status == "finished" else 1
    elif action == "remove":
        scheduler.remove(args.name)
        print(f"removed schedule {args.name}")
        return 0
    else:
        sched = getattr(scheduler, action)(args.name)
        verb = "paused" if action == "pause" else "resumed"
    if as_json:
        print_json(sched.__dict__)
    else:
        due = _when(sched.next_due) if sched.enabled else "never (paused)"
        print(f"{verb} schedule {sched.name}: {sched.cron} ({sched.timezone}); next due {due}")
    return 0
