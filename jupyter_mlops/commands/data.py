"""``data``: version datasets — add, list, show, diff, check out and tag versions."""

from __future__ import annotations

from typing import get_args

from jupyter_mlops.commands.grammar import Opt, Verb, text_or_json
from jupyter_mlops.services.schema import (
    DatasetAddRequest,
    DatasetCheckoutRequest,
    DatasetTagRequest,
    LinkMode,
)

_REF = "NAME for the latest version, NAME@N for version N"


ADD = Verb(
    "add",
    "Version a file or a folder; in a notebook, also a DataFrame variable.",
    request=DatasetAddRequest,
    opts=(
        Opt("path", metavar="PATH"),
        Opt("name", ("-n", "--name"), metavar="NAME"),
        Opt("description", ("-d", "--description"), metavar="TEXT"),
        Opt("link", ("--link",), choices=get_args(LinkMode)),
        text_or_json("DatasetVersionInfo"),
    ),
    description="""\
Content equal to the dataset's latest version gives that version back; other content
becomes the next version. CSV, TSV, Parquet and DataFrames also record their schema,
row count and a profile of each column.""",
)

LIST = Verb(
    "list",
    "List the datasets with their latest version, or the versions of one (the default action).",
    opts=(
        Opt("name", metavar="NAME", nargs="?", help="list the versions of this dataset"),
        text_or_json("DatasetList, or DatasetVersionList for NAME"),
    ),
)

SHOW = Verb(
    "show",
    "Show one version: digest, source, schema, rows, column profile, tags.",
    opts=(Opt("ref", metavar="NAME[@N]", help=_REF), text_or_json("DatasetVersionInfo")),
)

DIFF = Verb(
    "diff",
    "Show what changed between two versions: content, rows, schema, column profiles, files.",
    opts=(
        Opt("a", metavar="NAME@N", help="the older version"),
        Opt("b", metavar="NAME@M", help="the newer version"),
        text_or_json("DatasetDiff"),
    ),
)

CHECKOUT = Verb(
    "checkout",
    "Write a writable copy of a version, verifying every file against its digest.",
    request=DatasetCheckoutRequest,
    opts=(
        Opt("ref", metavar="NAME[@N]", help=_REF),
        Opt("dest", metavar="DEST"),
        Opt("force", ("--force",)),
        text_or_json("DatasetCheckout"),
    ),
)

TAG = Verb(
    "tag",
    "Set tags on a version.",
    request=DatasetTagRequest,
    opts=(
        Opt("ref", metavar="NAME[@N]", help=_REF),
        Opt("tags", metavar="KEY=VALUE"),
        text_or_json("DatasetVersionInfo"),
    ),
)

DATA = Verb(
    "data",
    "Add, list, show, diff, check out or tag dataset versions.",
    example="%mlops data add data/churn.csv --name churn",
    actions=(ADD, LIST, SHOW, DIFF, CHECKOUT, TAG),
    default="list",
    description="""\
A version is NAME@N; a bare NAME is its latest version. Without an action, list the datasets.

examples:
  jupyter-mlops data add data/churn.csv --name churn --description "January extract"
  jupyter-mlops data add data/images --link hardlink
  jupyter-mlops data list
  jupyter-mlops data list churn
  jupyter-mlops data show churn@2 --format json | jq .profile
  jupyter-mlops data diff churn@1 churn@2
  jupyter-mlops data checkout churn@2 data/churn-v2.csv
  jupyter-mlops data tag churn@2 stage=clean owner=ana
""",
)
