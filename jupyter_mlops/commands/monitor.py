"""``monitor``: each monitor's latest verdict; one monitor's runs with a timeline chart."""

from __future__ import annotations

import argparse

from jupyter_mlops.commands.grammar import CLI, Opt, Verb, text_or_json
from jupyter_mlops.commands.schedule import name_of
from jupyter_mlops.services.schema import MonitorHistoryQuery


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from None


MONITOR = Verb(
    "monitor",
    "Show monitors: each one's latest verdict, or one's drift share and metrics over time.",
    example="%mlops monitor history churn-drift --metric roc_auc",
    actions=(
        Verb(
            "list",
            "Every monitor with its latest verdict (the default).",
            opts=(text_or_json("MonitorList"),),
        ),
        Verb(
            "history",
            "A monitor's runs: drift share, its verdict and metrics, with a timeline chart.",
            request=MonitorHistoryQuery,
            opts=(
                name_of("the monitor (or schedule)"),
                Opt("metrics", ("--metric",), metavar="KEY"),
                Opt(
                    "threshold",
                    ("--threshold",),
                    metavar="X",
                    parse=_number,
                    help="the chart's alert line (default: the monitor's threshold)",
                ),
                Opt("png", ("--png",), metavar="FILE", faces=CLI, help="write the chart here"),
                text_or_json("MonitorHistoryInfo"),
            ),
        ),
    ),
    default="list",
    description="""\
The runs of monitor NAME are those tagged mlops.monitor=NAME and those produced by the
schedule NAME. A run's verdict is the monitor's decision: drift when it alerted (by its
threshold, else by the drift report's verdict), no_drift, or unknown.

examples:
  jupyter-mlops monitor list
  jupyter-mlops monitor history churn-drift --metric roc_auc --png drift.png
  jupyter-mlops monitor history churn-drift --format json
""",
)
