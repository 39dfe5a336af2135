"""``jupyter-mlops monitor``: each monitor's latest verdict, or one monitor's history.

Text for people; ``--format json`` prints the REST API's record of the same answer.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from jupyter_mlops.cli._common import Subparsers, add_verb, fmt_local_time, print_record
from jupyter_mlops.cli._table import Column, render
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.monitor import MONITOR
from jupyter_mlops.services.schema import MonitorHistoryInfo, MonitorList


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, MONITOR)


def run(args: argparse.Namespace) -> int:
    # Imported here: the store and the monitor package load only when a command runs.
    from jupyter_mlops.services import monitors, project

    store = project.store()
    if grammar.selected(MONITOR, args).name == "list":
        found = monitors.list_monitors(store)
        if args.format == "json":
            print_record(found)
        else:
            print(monitors_table(found))
        return 0
    info = monitors.monitor_history(store, args.name, grammar.request(MONITOR, args))
    if args.png:
        Path(args.png).write_bytes(monitors.chart_png(info, threshold=args.threshold))
    if args.format == "json":
        print_record(info)
        return 0
    print(history_table(info))
    if args.png:
        print(f"chart: {args.png}")
    return 0


def _num(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.3f}"


def _verdict(verdict: str | None) -> str:
    return {"drift": "drift", "no_drift": "no drift"}.get(verdict or "", "-")


def monitors_table(found: MonitorList) -> str:
    """Every monitor with its latest verdict."""
    items = found.items
    if not items:
        return "No monitors yet: mlops.monitor.act(report, name=NAME) or a schedule with a monitor."
    return render(
        [
            Column("name", [m.name for m in items]),
            Column("verdict", [_verdict(m.latest_verdict) for m in items]),
            Column("share", [_num(m.latest_drift_share) for m in items], right=True),
            Column("threshold", [_num(m.threshold) for m in items], right=True),
            Column("runs", [str(m.runs) for m in items], right=True),
            Column("latest", [fmt_local_time(m.latest_time) for m in items]),
            Column("scheduled", ["yes" if m.schedule else "-" for m in items]),
        ]
    )


def history_table(info: MonitorHistoryInfo) -> str:
    """A monitor's runs, oldest first: share, the monitor's verdict, chosen metrics."""
    points = info.points
    if not points:
        return f"Monitor {info.name!r} has no runs yet."
    keys = list(points[0].metrics)
    columns = [
        Column("time", [fmt_local_time(p.time) for p in points]),
        Column("run", [p.run_id[:8] for p in points]),
        Column("status", [p.status for p in points]),
        Column("share", [_num(p.drift_share) for p in points], right=True),
        Column("verdict", [_verdict(p.verdict) for p in points]),
        Column("threshold", [_num(p.threshold) for p in points], right=True),
    ]
    columns += [Column(k, [_num(p.metrics.get(k)) for p in points], right=True) for k in keys]
    return render(columns)
