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

from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.data import DATA
from jupyter_mlops.data.compare import lines, to_html
from jupyter_mlops.data.version import summary
from jupyter_mlops.magics._args import parser_for
from jupyter_mlops.magics._display import show, show_text
from jupyter_mlops.services import datasets, project
from jupyter_mlops.services.schema import DatasetAddRequest, DatasetTagRequest
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = parser_for(DATA)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Run one dataset action and display its result (the datasets panel by default)."""
    action = grammar.selected(DATA, args).name
    if action in ("list", "show"):
        _show_panel(getattr(args, "ref", None) or getattr(args, "name", None))
        return None
    store = project.store()
    if action == "add":
        request: DatasetAddRequest = grammar.request(DATA, args)
        value = session.shell.user_ns.get(request.path)
        if isinstance(value, pd.DataFrame):
            added = datasets.add_frame(store, value, request)
        else:
            added = datasets.add(store, request)
        print(f"mlops: {summary(added.model_dump())}")
    elif action == "diff":
        diff = datasets.diff(store, args.a, args.b).model_dump()
        show_text("\n".join(lines(diff)), to_html(diff))
    elif action == "checkout":
        done = datasets.checkout(store, args.ref, grammar.request(DATA, args))
        print(f"mlops: checked out {done.version.ref} to {done.path}")
    else:
        tags: DatasetTagRequest = grammar.request(DATA, args)
        tagged = datasets.tag(store, args.ref, tags)
        pairs = " ".join(f"{k}={v}" for k, v in tags.tags.items())
        print(f"mlops: tagged {tagged.ref} {pairs}")
    return None


def _show_panel(ref: str | None) -> None:
    """Show the panel of dataset version ``ref``, or of every dataset."""
    # Imported here: the panels load ipywidgets, which only listing and showing need.
    from jupyter_mlops.widgets.datasets import DatasetsPanel, dataset

    if ref:
        show(dataset(ref))
        return
    panel = DatasetsPanel()
    if not panel.listing.items:
        panel.close()
        print("mlops: no datasets yet; add one with %mlops data add PATH.")
    else:
        show(panel)
