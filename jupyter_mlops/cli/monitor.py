"""Show a monitor's history: drift share and chosen metrics across its runs.

The runs of monitor NAME are those tagged mlops.monitor=NAME and those produced by the
schedule NAME. --png writes the timeline chart (drift share with the alert threshold).

examples:
  jupyter-mlops monitor history churn-drift
  jupyter-mlops monitor history churn-drift --metric roc_auc --png drift.png
  jupyter-mlops monitor history churn-drift --json
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from jupyter_mlops.cli._common import Parser, Subparsers, add_command, fmt_local_time, print_json
from jupyter_mlops.cli._table import Column, render


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "monitor", __doc__)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser)
    hist = actions.add_parser("history", help="drift share and metrics across runs")
    hist.add_argument("name", metavar="NAME", help="the monitor (or schedule)")
    hist.add_argument(
        "--metric", dest="metrics", action="append", default=[], metavar="KEY", help="a column"
    )
    hist.add_argument("--threshold", type=float, metavar="X", help="the chart's alert line")
    hist.add_argument("--png", metavar="FILE", help="write the timeline chart here")
    hist.add_argument("--json", action="store_true", help="print JSON for scripts")
    return parser


def _num(value: object) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def run(args: argparse.Namespace) -> int:
    from jupyter_mlops.errors import MlopsUsageError
    from jupyter_mlops.monitor.history import history

    if args.action != "history":
        raise MlopsUsageError("give an action: history; see `jupyter-mlops monitor --help`.")
    hist = history(args.name, metrics=args.metrics, threshold=args.threshold)
    frame = hist.frame
    if args.png:
        Path(args.png).write_bytes(hist.to_png())
    if args.json:
        records = frame.assign(time=frame["time"].map(lambda t: t.isoformat()))
        print_json(records.to_dict("records"))
        return 0
    if frame.empty:
        print(f"Monitor {args.name!r} has no runs yet.")
        return 0
    columns = [
        Column("time", [fmt_local_time(t.timestamp()) for t in frame["time"]]),
        Column("run", [r[:8] for r in frame["run_id"]]),
        Column("status", list(frame["status"])),
        Column("share", [_num(v) for v in frame["drift_share"]], right=True),
        Column(
            "drift", ["-" if v is None else ("yes" if v else "no") for v in frame["dataset_drift"]]
        ),
    ]
    columns += [Column(m, [_num(v) for v in frame[m]], right=True) for m in args.metrics]
    print(render(columns))
    if args.png:
        print(f"chart: {args.png}")
    return 0
