"""``jupyter-mlops compare RUN RUN ...``: runs side by side as text, or the REST API's JSON."""

from __future__ import annotations

import argparse
import sys

from jupyter_mlops.cli._common import Subparsers, add_verb, fmt_number, print_record, truncate
from jupyter_mlops.cli._table import Column, render
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.runs import COMPARE
from jupyter_mlops.services.schema import CompareQuery, RunComparison


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, COMPARE)


def run(args: argparse.Namespace) -> int:
    # Imported here: the store loads only when a command runs, not for --help.
    from jupyter_mlops.services import compare, project

    query: CompareQuery = grammar.request(COMPARE, args)
    if args.format != "json":  # the text shows no curves: do not read them
        query = query.model_copy(update={"curves": 0})
    comparison = compare.compare(project.store(), query)
    if args.format == "json":
        print_record(comparison)
    else:
        for line in comparison.missing:
            print(f"warning: {line}", file=sys.stderr)
        print(text(comparison))
    return 0


def text(comparison: RunComparison) -> str:
    """Params then metrics, a column per run; ``*`` marks a param whose values differ."""
    heads = [truncate(run.label, 30) for run in comparison.runs]
    params = [
        (f"{'*' if p.differs else ' '} {p.key}", ["" if v is None else v for v in p.values])
        for p in comparison.params
    ]
    metrics = [
        (f"  {m.key}", ["" if v is None else fmt_number(v) for v in m.values])
        for m in comparison.metrics
    ]
    lines = []
    for title, rows in (("param", params), ("metric", metrics)):
        if not rows:
            lines.append(f"No {title}s logged by these runs.")
            continue
        columns = [Column(title, [key for key, _ in rows])]
        columns += [
            Column(head, [cells[i] for _, cells in rows], right=title == "metric")
            for i, head in enumerate(heads)
        ]
        lines.append(render(columns))
    return "\n\n".join(lines)
