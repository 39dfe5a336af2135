"""Say what `run pipeline.yaml` would do with each step, and why; nothing runs.

A step runs when its code, params, kernel, upstream steps or declared inputs changed, when a
declared output is missing or changed, or when it never ran; otherwise it is cached.

examples:
  jupyter-mlops status pipeline.yaml --env dev
  jupyter-mlops status pipeline.yaml -p train.C=0.5 --format json
"""

from __future__ import annotations

import argparse

from jupyter_mlops.cli._common import Subparsers, add_command, add_format, print_json


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "status", __doc__)
    parser.add_argument("pipeline", metavar="PIPELINE", help="the pipeline .yaml")
    parser.add_argument("--env", metavar="E", help="the environment")
    parser.add_argument(
        "-p",
        "--param",
        dest="params",
        metavar="STEP.KEY=VALUE",
        action="append",
        default=[],
        help="a parameter override (repeatable)",
    )
    parser.add_argument("--force", action="store_true", help="as if run with --force")
    parser.add_argument("--only", metavar="STEP", help="as if run with --only STEP")
    parser.add_argument("--from", dest="from_step", metavar="STEP", help="as if run --from STEP")
    add_format(parser, "text", "json", help="text for people (default), json for scripts")
    return parser


def run(args: argparse.Namespace) -> int:
    from jupyter_mlops.pipelines.keys import status

    plans = status(
        args.pipeline,
        env=args.env,
        params=args.params,
        force=args.force,
        only=args.only,
        from_step=args.from_step,
    )
    if args.format == "json":
        print_json(
            {n: {"action": p.action, "reason": p.reason, "key": p.key} for n, p in plans.items()}
        )
        return 0
    width = max(len(n) for n in plans)
    for name, step_plan in plans.items():
        print(f"{name.ljust(width)}  {step_plan.action:<7} {step_plan.reason}")
    would = sum(p.action == "run" for p in plans.values())
    print(f"{would} of {len(plans)} step(s) would run.")
    return 0
