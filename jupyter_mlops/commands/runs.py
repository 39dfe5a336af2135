"""``runs``, ``show``, ``compare`` and ``diff``: find runs with the filter language (and delete,
restore or annotate them), show one run in full, compare runs side by side, diff two runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from jupyter_mlops.commands.grammar import BOTH, CLI, MAGIC, Opt, Verb, text_or_json
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.services.schema import (
    CompareQuery,
    RunDiffQuery,
    RunLifecycleChange,
    RunNote,
    RunNoteRequest,
    RunQuery,
    RunRefs,
)

FORMATS = ("table", "json", "csv")

DELETE = Verb(
    "delete",
    "Delete runs: they leave lists and searches but can be restored until gc purges them.",
    example="%mlops runs delete a1b2c3d4",
    request=RunRefs,
    opts=(Opt("runs", metavar="RUN", nargs="+"),),
    description="""\
A deleted run keeps all its records; `runs restore` brings it back. `jupyter-mlops gc --yes`
purges runs deleted longer ago than deleted_run_retention_days (default 30), except runs a
model version was made from.

examples:
  jupyter-mlops runs delete 45b9d702 brisk-otter-42
  jupyter-mlops runs --lifecycle deleted
""",
)

RESTORE = Verb(
    "restore",
    "Restore deleted runs.",
    example="%mlops runs restore a1b2c3d4",
    request=RunRefs,
    opts=(Opt("runs", metavar="RUN", nargs="+"),),
    description="""\
examples:
  jupyter-mlops runs restore 45b9d702
""",
)

NOTE = Verb(
    "note",
    "Show a run's markdown note, or keep a new one (--set, --file) or remove it (--clear).",
    example="%mlops runs note a1b2c3d4 --set 'Baseline: **C=0.5**, no feature scaling.'",
    request=RunNoteRequest,
    cell=True,
    opts=(
        Opt("run", metavar="RUN", help="run id, short id (4+ characters) or run name"),
        Opt("note", ("--set",), metavar="TEXT", help="keep TEXT (markdown) as the run's note"),
        Opt(
            "file",
            ("--file",),
            metavar="FILE",
            help="keep the text of FILE (markdown, UTF-8) as the run's note",
        ),
        Opt("clear", ("--clear",), switch=True, help="remove the run's note"),
        text_or_json(
            help="text for people (default: the note's markdown); json (the REST API's "
            "RunNote, with the note rendered as HTML) for scripts",
        ),
    ),
    description="""\
The note is the run's description in the lab's run page and in MLflow (its
mlflow.note.content tag, carried by export and import). Without --set, --file or --clear
it is shown: printed as markdown by the command line, rendered in a notebook. In a
notebook, `%%mlops runs note RUN` keeps the cell's body as the note. A note holds up to
20,000 characters; a run's note can be changed while the run is deleted.

examples:
  jupyter-mlops runs note brisk-otter-42
  jupyter-mlops runs note 45b9d702 --file notes/baseline.md
  jupyter-mlops runs note 45b9d702 --clear
""",
)

RUNS = Verb(
    "runs",
    "List runs, newest first.",
    example='%mlops runs --filter "metrics.auc > 0.9" --experiment churn --limit 10',
    request=RunQuery,
    actions=(DELETE, RESTORE, NOTE),
    opts=(
        Opt("filter", ("-f", "--filter"), metavar="EXPR"),
        Opt("experiment", ("-e", "--experiment"), metavar="E"),
        Opt("order_by", ("--order-by", "--sort"), metavar="KEY"),
        Opt("limit", ("-n", "--limit"), metavar="N"),
        Opt("offset", ("--offset",), metavar="N"),
        Opt("lifecycle", ("--lifecycle",), metavar="WHICH"),
        Opt(
            "columns",
            ("-c", "--columns"),
            metavar="COLS",
            repeat=True,
            faces=BOTH,
            help="columns to add, comma-separated: metrics.auc,params.C,tags.owner",
        ),
        Opt(
            "format",
            ("--format",),
            choices=FORMATS,
            default="table",
            faces=CLI,
            help="table for people (default); json (the REST API's page of runs: items, "
            "total, limit, offset) or csv (the search_runs frame) for scripts",
        ),
    ),
    description="""\
The filter language is the one of mlops.search_runs, e.g.
  metrics.auc > 0.9 and params.C = '0.5' and tags.owner = 'ana' and status = 'finished'

The table fits the terminal: metrics and params named in --columns, --order-by or
--filter come first, then other metrics, then params (those most runs have first), while
they fit.

Deleted runs are left out: --lifecycle deleted lists only them, --lifecycle all both.
`runs delete RUN...` and `runs restore RUN...` delete and restore runs; `runs note RUN`
shows or changes a run's markdown note.

examples:
  jupyter-mlops runs --experiment churn --order-by "metrics.auc desc" --limit 10
  jupyter-mlops runs --filter "metrics.auc > 0.9" --format json | jq '.items[].run_id'
""",
)

SHOW = Verb(
    "show",
    "Show one run: params, metrics, tags, models, inputs, artifacts, cells and its error.",
    example="%mlops show a1b2c3d4",
    opts=(
        Opt(
            "run",
            metavar="RUN",
            nargs="?",
            required_in=CLI,
            help="run id, short id (4+ characters) or run name (the newest run of that name); "
            "in a notebook the default is the active run, else the last one tracked there",
        ),
        text_or_json("RunDetail"),
    ),
    description="""\
examples:
  jupyter-mlops show brisk-otter-42
  jupyter-mlops show 45b9d702 --format json | jq .metrics
""",
)

COMPARE = Verb(
    "compare",
    "Compare runs side by side: params (differences marked), metrics and their curves.",
    example="%mlops compare a1b2c3d4 e5f6a7b8 --metric auc",
    request=CompareQuery,
    opts=(
        Opt("run", metavar="RUN", nargs="*"),
        Opt(
            "metric",
            ("--metric",),
            metavar="KEY",
            faces=MAGIC,
            help="the metric of the parallel coordinates (default: the first)",
        ),
        text_or_json("RunComparison"),
    ),
    description="""\
A ref that names no run is reported and the other runs are still compared; fewer than
two runs found is an error.

examples:
  jupyter-mlops compare brisk-otter-42 calm-heron-7
  jupyter-mlops compare a1b2c3d4 e5f6a7b8 --format json | jq '.params[] | select(.differs)'
""",
)


def lifecycle_text(change: RunLifecycleChange, action: str) -> str:
    """What ``runs delete`` / ``runs restore`` did, one line per run."""
    done = "deleted" if action == "delete" else "restored"
    lines = [f"{done} run {run_id[:8]}" for run_id in change.changed]
    lines += [f"run {run_id[:8]} was already {done}" for run_id in change.unchanged]
    return "\n".join(lines)


def new_note(args: argparse.Namespace, cell: str | None = None) -> str | None:
    """The note ``runs note`` is asked to keep (``""`` removes it), or None to show the note.

    ``cell`` is the body of ``%%mlops runs note RUN``.

    Raises:
        MlopsUsageError: more than one of --set, --file, --clear and a cell body; an empty
            cell body; a FILE that cannot be read as text.
    """
    given = [
        name
        for name, value in (
            ("--set", args.note),
            ("--file", args.file),
            ("--clear", args.clear or None),
            ("a cell body", cell),
        )
        if value is not None
    ]
    if len(given) > 1:
        which = f"{', '.join(given[:-1])} and {given[-1]}"
        raise MlopsUsageError(
            f"runs note: give one of {which}, not {'both' if len(given) == 2 else 'several'}."
        )
    if cell is not None:
        text = cell.strip("\n").rstrip()
        if not text:
            raise MlopsUsageError(
                "runs note: the cell is empty; write the note under %%mlops runs note RUN "
                "(--clear removes a note)."
            )
        return text
    if args.file is not None:
        try:
            return Path(args.file).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise MlopsUsageError(f"runs note: {args.file} is not UTF-8 text.") from None
        except OSError as exc:
            raise MlopsUsageError(
                f"runs note: cannot read {args.file}: {exc.strerror or exc}."
            ) from None
    if args.clear:
        return ""
    note: str | None = args.note  # None: show the note
    return note


def note_text(note: RunNote, changed: bool) -> str:
    """What ``runs note`` says: the note itself, or what a change did."""
    short = note.run_id[:8]
    if not changed:
        return note.note
    if not note.note:
        return f"removed the note of run {short}"
    return f"kept the note of run {short} ({len(note.note):,} characters)"


DIFF = Verb(
    "diff",
    "Diff two runs: why did the metric move? Code by cell, params, metrics, data, environment.",
    example="%mlops diff a1b2c3d4 e5f6a7b8",
    request=RunDiffQuery,
    opts=(
        Opt("a", metavar="A"),
        Opt("b", metavar="B"),
        text_or_json("RunDiff"),
        Opt(
            "json",
            ("--json",),
            switch=True,
            faces=CLI,
            help="the same as --format json",
        ),
    ),
    description="""\
A headline says which metric moved most and what differs: params added, removed or
changed; the dataset versions each run used (with the profile diff of each that changed);
the cells, aligned by content (the session log of both runs when both have one, else the
cells each tracked), unchanged ones collapsed and edited ones as a line diff; Python,
package and git differences. Metrics are listed largest relative change first.

examples:
  jupyter-mlops diff brisk-otter-42 calm-heron-7
  jupyter-mlops diff a1b2c3d4 e5f6a7b8 --json | jq .headline
""",
)
