"""Run the whole lifecycle on the example notebooks, in a folder of their own.

Copies the examples into --dir (default: a new folder mlops-demo/ here), which becomes its
own project with its own store (.mlops/), then tracks models, runs the pipeline through dev,
staging and production, promotes the model and runs the drift monitor. Takes a few minutes.
A non-empty folder is refused unless --force. (`make demo` runs the same lifecycle on the
checkout's example_notebooks: `python -m jupyter_mlops.cli.demo`.)

examples:
  jupyter-mlops demo
  jupyter-mlops demo --dir /tmp/try-mlops --force
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from jupyter_mlops.cli._common import Subparsers, add_command


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "demo", __doc__)
    parser.add_argument(
        "--dir",
        metavar="FOLDER",
        type=Path,
        default=Path("mlops-demo"),
        help="where to copy and run the examples (default: ./mlops-demo)",
    )
    parser.add_argument(
        "--force", action="store_true", help="copy into FOLDER even if it is not empty"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    # start-up: the lifecycle loads papermill and the pipeline engine; --help must not.
    from jupyter_mlops.cli.demo.lifecycle import prepare_folder, run_demo

    folder = prepare_folder(args.dir, force=args.force)
    print(f"demo folder: {folder}", flush=True)
    # The folder is the project: its .mlops/ store is found from the working directory
    # (stores are cached per store URI, so the folder's own store is opened, not a cached one).
    os.chdir(folder)
    return run_demo(folder)
