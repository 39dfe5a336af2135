"""``%mlops data``: add, list, show, diff, check out and tag dataset versions.

%mlops data add data/churn.csv [--name churn] [--description TEXT] [--link hardlink]
%mlops data add train_df                    # a DataFrame variable; named after it by default
%mlops data list [NAME]
%mlops data show churn@2
%mlops data diff churn@1 churn@2
%mlops data checkout churn@2 data/churn-v2.csv [--force]
%mlops data tag churn@2 stage=clean owner=ana
"""

from __future__ import annotations

import argparse

import pandas as pd

from jupyter_mlops import data
from jupyter_mlops.data.ingest import LINK_MODES
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.magics._args import VerbParser, key_value
from jupyter_mlops.magics._display import show, show_text
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False
#: action -> (fewest, most) positional arguments after it, and its usage line
USAGE: dict[str, tuple[int, int, str]] = {
    "add": (1, 1, "%mlops data add PATH|DATAFRAME [--name NAME]"),
    "list": (0, 1, "%mlops data list [NAME]"),
    "show": (1, 1, "%mlops data show NAME[@N]"),
    "diff": (2, 2, "%mlops data diff NAME@N NAME@M"),
    "checkout": (2, 2, "%mlops data checkout NAME[@N] DEST [--force]"),
    "tag": (2, 99, "%mlops data tag NAME[@N] KEY=VALUE [KEY=VALUE ...]"),
}

parser = VerbParser("data")
parser.add_argument(
    "action", nargs="?", choices=list(USAGE), metavar="ACTION", help=", ".join(USAGE)
)
parser.add_argument("args", nargs="*", metavar="ARG", help="what the action works on")
parser.add_argument("--name", "-n", metavar="NAME", help="add: the dataset name")
parser.add_argument("--description", "-d", metavar="TEXT", help="add: a note for the version")
parser.add_argument(
    "--link", choices=LINK_MODES, default="auto", help="add: how files enter the store"
)
parser.add_argument("--force", action="store_true", help="checkout: overwrite what is there")


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Run one dataset action and display its result."""
    if args.action is None:
        raise MlopsUsageError(f"Give an action: %mlops data {'|'.join(USAGE)} ...")
    fewest, most, usage = USAGE[args.action]
    if not fewest <= len(args.args) <= most:
        raise MlopsUsageError(f"Usage: {usage}.")
    action, words = args.action, args.args
    if action == "add":
        source: object = words[0]
        name = args.name
        value = session.shell.user_ns.get(words[0])
        if isinstance(value, pd.DataFrame):
            source, name = value, name or words[0]
        version = data.add(source, name, description=args.description, link=args.link)
        print(f"mlops: {version}")
    elif action == "list":
        from jupyter_mlops.widgets.datasets import DatasetsPanel, dataset

        if words:
            show(dataset(words[0]))
        elif data.list().empty:
            print("mlops: no datasets yet; add one with %mlops data add PATH.")
        else:
            show(DatasetsPanel())
    elif action == "show":
        from jupyter_mlops.widgets.datasets import dataset

        show(dataset(words[0]))
    elif action == "diff":
        diff = data.diff(words[0], words[1])
        show_text(str(diff), diff._repr_html_())
    elif action == "checkout":
        path = data.checkout(words[0], words[1], force=args.force)
        print(f"mlops: checked out {data.get(words[0]).ref} to {path}")
    else:
        pairs = [_pair(word) for word in words[1:]]
        for key, value in pairs:
            version = data.tag(words[0], key, value)
        print(f"mlops: tagged {version.ref} " + " ".join(f"{k}={v}" for k, v in pairs))
    return None


def _pair(word: str) -> tuple[str, str]:
    try:
        return key_value(word)
    except argparse.ArgumentTypeError as exc:
        raise MlopsUsageError(f"%mlops data tag: {exc}.") from None
