"""``jupyter-mlops show RUN``: one run as text for people, or the REST API's RunDetail JSON."""

from __future__ import annotations

import argparse

from jupyter_mlops.cli._common import (
    Subparsers,
    add_verb,
    fmt_duration,
    fmt_local_time,
    fmt_number,
    fmt_size,
    print_record,
)
from jupyter_mlops.commands.runs import SHOW
from jupyter_mlops.services.schema import RunDetail


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, SHOW)


def run(args: argparse.Namespace) -> int:
    # Imported here: the store and pandas load only when a command runs, not for --help.
    from jupyter_mlops.services import project, runs

    detail = runs.detail(project.store(), args.run, root=project.root())
    if args.format == "json":
        print_record(detail)
    else:
        print(text(detail))
    return 0


def text(run: RunDetail) -> str:
    """The run as lines for a terminal."""
    lines = [
        f"Run {run.name} ({run.short_id})  [{run.status}]  experiment={run.experiment}",
        f"  started {fmt_local_time(run.start_time)}, duration "
        + ("running" if run.duration is None else fmt_duration(run.duration)),
    ]
    if run.git_commit:
        dirty = " (dirty)" if run.git_dirty else ""
        lines.append(f"  git {run.git_branch or '?'}@{run.git_commit[:10]}{dirty}")
    if run.notebook_path:
        lines.append(f"  notebook {run.notebook_path}")
    if run.params:
        lines += ["  params:", *(f"    {k} = {v}" for k, v in run.params.items())]
    if run.metrics:
        lines += ["  metrics:", *(f"    {k} = {fmt_number(v)}" for k, v in run.metrics.items())]
    if run.tags:
        lines.append("  tags: " + ", ".join(f"{k}={v}" for k, v in run.tags.items()))
    if run.models:
        lines.append("  models: " + ", ".join(f"{m.name} ({m.class_name})" for m in run.models))
    if run.inputs:
        lines += ["  inputs:", *(f"    {i.role}: {i.source} ({i.digest[:12]})" for i in run.inputs)]
    if run.artifacts:
        lines += ["  artifacts:", *(f"    {a.path} ({fmt_size(a.size)})" for a in run.artifacts)]
    if run.children:
        lines.append(f"  child runs: {len(run.children)}")
    if run.error:
        lines.append("  error: " + run.error.strip().splitlines()[-1])
    return "\n".join(lines)
