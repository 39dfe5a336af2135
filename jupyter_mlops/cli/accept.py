"""Take a pipeline step's current outputs as up to date, so the next run caches it.

Records a successful run of STEP with its current key and the digests of its declared
outputs (which must exist), without running it: for outputs made by hand or elsewhere.

example:
  jupyter-mlops accept pipeline.yaml prepare --env dev
"""

from __future__ import annotations

import argparse

from jupyter_mlops.cli._common import Subparsers, add_command, marks


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "accept", __doc__)
    parser.add_argument("pipeline", metavar="PIPELINE", help="the pipeline .yaml")
    parser.add_argument("step", metavar="STEP", help="the step whose outputs to accept")
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
    return parser


def run(args: argparse.Namespace) -> int:
    from jupyter_mlops.pipelines.keys import accept

    prun = accept(args.pipeline, args.step, env=args.env, params=args.params)
    ok, _bad = marks()
    print(f"{ok} {args.step}: current outputs accepted (pipeline run {prun[:8]}).")
    return 0
