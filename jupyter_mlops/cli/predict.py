"""``jupyter-mlops predict``: score a file with a registered model, chunk by chunk."""

from __future__ import annotations

import argparse

from jupyter_mlops.cli._common import Subparsers, add_verb, print_record
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.predict import PREDICT


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, PREDICT)


def run(args: argparse.Namespace) -> int:
    # Imported here: pandas, pyarrow and the store load only when a command runs.
    from jupyter_mlops.services import project, serving

    info = serving.predict_file(project.store(), grammar.request(PREDICT, args))
    if args.format == "json":
        print_record(info)
    else:
        print(
            f"scored {info.rows:,} rows of {info.input} with models:/{info.model_name}/"
            f"{info.version} into {info.output} ({info.chunks} "
            f"{'chunks' if info.executor == 'local' else 'parts on ' + info.executor})"
        )
    return 0
