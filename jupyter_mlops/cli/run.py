"""Run a notebook or a pipeline, headless, as tracked runs (for CI and servers).

A NOTEBOOK.ipynb runs as a one-step pipeline (always run, never cached): -p KEY=VALUE sets
its parameters, --output keeps a copy of the executed notebook. A pipeline.yaml runs its
steps in order, in parallel up to --jobs, skipping steps whose key (code, params, kernel,
upstream, inputs) matches an earlier successful run whose outputs are unchanged;
-p STEP.KEY=VALUE sets a step's parameter (typed by the notebook's default).
Exits 1 when a step or a gate fails (the failing cell and the saved notebook are named),
2 on bad usage (bad spec, unknown parameter).

examples:
  jupyter-mlops run train.ipynb -p C=0.5 --output out/train.ipynb
  jupyter-mlops run pipeline.yaml --env dev --jobs 4 --junit reports/pipeline.xml
  jupyter-mlops run pipeline.yaml --env staging --resume
  jupyter-mlops run pipeline.yaml --executor dask://scheduler:8786 --only train -p train.C=2
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_mlops.cli._common import Subparsers, add_command, add_format, print_json
from jupyter_mlops.errors import MlopsUsageError

if TYPE_CHECKING:
    from jupyter_mlops.pipelines.spec import Pipeline


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "run", __doc__)
    parser.add_argument("target", metavar="NOTEBOOK|PIPELINE", help="a .ipynb or a pipeline .yaml")
    parser.add_argument(
        "-p",
        "--param",
        dest="params",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="a parameter (STEP.KEY=VALUE for a pipeline; repeatable)",
    )
    parser.add_argument("--env", metavar="E", help="the environment (pipelines)")
    parser.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="steps at once")
    parser.add_argument(
        "--executor", default="local", metavar="SPEC", help="local (default) or dask://HOST:PORT"
    )
    parser.add_argument("--junit", metavar="FILE", help="write a JUnit XML report here")
    parser.add_argument("--force", action="store_true", help="run every step, cached or not")
    parser.add_argument("--only", metavar="STEP", help="run only this step")
    parser.add_argument("--from", dest="from_step", metavar="STEP", help="run STEP and after")
    parser.add_argument(
        "--resume", action="store_true", help="rerun what failed or never ran in the last run"
    )
    parser.add_argument("--output", metavar="FILE", help="copy the executed notebook here")
    add_format(parser, "text", "json", help="text for people (default), json for scripts")
    return parser


def run(args: argparse.Namespace) -> int:
    if args.executor == "local":
        from jupyter_mlops.pipelines.forkserver import shared

        shared().start()  # the kernels' imports overlap ours and the spec's checks

    from jupyter_mlops.pipelines.junit import write_junit
    from jupyter_mlops.pipelines.notebook import notebook_pipeline, step_overrides
    from jupyter_mlops.pipelines.progress import LineProgress
    from jupyter_mlops.pipelines.runner import run_pipeline
    from jupyter_mlops.pipelines.spec import load

    target = Path(args.target)
    pipeline: Pipeline
    notebook = target.suffix == ".ipynb"
    if notebook:
        pipeline = notebook_pipeline(target)
        params, force = step_overrides(pipeline, args.params), True
    elif target.suffix in (".yaml", ".yml"):
        pipeline, params, force = load(target), args.params, args.force
    else:
        raise MlopsUsageError(f"{args.target!r}: give a notebook (.ipynb) or a pipeline (.yaml).")
    progress = LineProgress(sys.stdout if args.format == "text" else sys.stderr)
    result = run_pipeline(
        pipeline,
        env=args.env,
        params=params,
        jobs=args.jobs,
        executor=args.executor,
        force=force,
        only=args.only,
        from_step=args.from_step,
        resume=args.resume,
        progress=progress,
        trigger="cli",
    )
    if args.junit:
        write_junit(result, args.junit)
    if args.output:
        outcome = next(iter(result.steps.values()))
        if outcome.output_notebook and Path(outcome.output_notebook).is_file():
            Path(args.output).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(outcome.output_notebook, args.output)
    if args.format == "json":
        print_json(
            {
                "pipeline_run_id": result.pipeline_run_id,
                "run_id": result.run_id,
                "name": result.name,
                "env": result.env,
                "status": result.status,
                "steps": {
                    n: {
                        "status": o.status,
                        "reason": o.reason,
                        "run_id": o.run_id,
                        "output_notebook": o.output_notebook,
                        "error": o.error,
                        "attempts": o.attempts,
                    }
                    for n, o in result.steps.items()
                },
            }
        )
    for outcome in result.failed:
        print(f"jupyter-mlops: error: {outcome.error_line()}", file=sys.stderr)
    return 0 if result.ok else 1
