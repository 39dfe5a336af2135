"""``%mlops pipeline``: run a pipeline from a notebook with live progress, or show its status.

%mlops pipeline run pipeline.yaml --env dev -p train.C=0.5 --jobs 2
%mlops pipeline status pipeline.yaml --env dev
"""

from __future__ import annotations

import argparse
import sys

from jupyter_mlops.magics._args import VerbParser
from jupyter_mlops.magics._display import show_text
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False
ACTIONS = ("run", "status")

parser = VerbParser("pipeline")
parser.add_argument("action", choices=ACTIONS, metavar="ACTION", help=", ".join(ACTIONS))
parser.add_argument("spec", metavar="PIPELINE", help="the pipeline .yaml")
parser.add_argument("--env", metavar="E", help="the environment")
parser.add_argument(
    "-p", dest="params", action="append", default=[], metavar="STEP.KEY=VALUE", help="a param"
)
parser.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="run: steps at once")
parser.add_argument("--executor", default="local", metavar="SPEC", help="run: local or dask://")
parser.add_argument("--force", action="store_true", help="run every step")
parser.add_argument("--only", metavar="STEP", help="only this step")
parser.add_argument("--from", dest="from_step", metavar="STEP", help="this step and after")
parser.add_argument("--resume", action="store_true", help="run: rerun what failed or never ran")


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Run the pipeline (returning its result) or show what a run would do."""
    if args.action == "status":
        from jupyter_mlops.pipelines.keys import status

        plans = status(
            args.spec,
            env=args.env,
            params=args.params,
            force=args.force,
            only=args.only,
            from_step=args.from_step,
        )
        width = max(len(n) for n in plans)
        text = "\n".join(f"{n.ljust(width)}  {p.action:<7} {p.reason}" for n, p in plans.items())
        show_text(text)
        return None
    from jupyter_mlops.pipelines.runner import run_pipeline
    from jupyter_mlops.pipelines.spec import load
    from jupyter_mlops.widgets.pipeline import PipelinePanel

    spec = load(args.spec)
    result = run_pipeline(
        spec,
        env=args.env,
        params=args.params,
        jobs=args.jobs,
        executor=args.executor,
        force=args.force,
        only=args.only,
        from_step=args.from_step,
        resume=args.resume,
        progress=PipelinePanel(show=True).progress,
        trigger="notebook",
    )
    for outcome in result.failed:
        print(f"mlops: {outcome.error_line()}", file=sys.stderr)
    return result
