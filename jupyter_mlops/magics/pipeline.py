"""``%mlops pipeline``: run a pipeline from a notebook with live progress, say what a run
would do, accept a step's outputs, or cancel a running pipeline run (the command line's
``run``, ``status``, ``accept``, ``cancel``).

%mlops pipeline run pipeline.yaml --env dev -p train.C=0.5 --jobs 2
%mlops pipeline status pipeline.yaml --env dev
%mlops pipeline accept pipeline.yaml prepare
%mlops pipeline cancel 3f9c2a7e
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.pipelines import PIPELINE, cancelled_text
from jupyter_mlops.errors import ConflictError, MlopsUsageError
from jupyter_mlops.magics._args import parser_for
from jupyter_mlops.magics._display import show_text
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = parser_for(PIPELINE)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Run the pipeline (its record is the cell's value), or show what a run would do."""
    # start-up: the store and the pipeline code load on first use, not for %load_ext.
    from jupyter_mlops.services import pipelines, project

    action = grammar.selected(PIPELINE, args).name
    store, root, cwd = project.store(), project.root(), Path.cwd()
    if action == "cancel":
        try:
            cancelled = pipelines.cancel(store, args.run_id, root=root)
        except ConflictError as exc:  # an ended run is the line's mistake: one line, no traceback
            raise MlopsUsageError(str(exc)) from None
        print(f"mlops: {cancelled_text(cancelled)}")
        return None
    request = grammar.request(PIPELINE, args)
    if action == "status":
        record = pipelines.status(store, request, root=root, cwd=cwd)
        width = max((len(p.step) for p in record.steps), default=0)
        lines = [f"{p.step.ljust(width)}  {p.action:<7} {p.reason}" for p in record.steps]
        show_text("\n".join([*lines, record.summary]))
        return None
    if action == "accept":
        done = pipelines.accept(store, request, root=root, cwd=cwd)
        print(f"mlops: {request.step}: current outputs accepted (pipeline run {done.run.id[:8]}).")
        return None
    # start-up: ipywidgets only when a run shows its panel.
    from jupyter_mlops.widgets.pipeline import PipelinePanel

    panel = PipelinePanel(show=True)
    detail = pipelines.run(
        store,
        request,
        root=root,
        cwd=cwd,
        progress=panel.progress,
        executor=args.executor,
        trigger="notebook",
    )
    panel.show_record(detail)
    for step in detail.step_runs:
        if step.status == "failed":
            print(f"mlops: {step.reason}", file=sys.stderr)
    return detail
