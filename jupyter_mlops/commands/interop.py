"""``import`` and ``export``: another tracking system's history in, ours out (MLflow)."""

from __future__ import annotations

from jupyter_mlops.commands.grammar import CLI, Opt, Verb, text_or_json
from jupyter_mlops.services.schema import MlflowExportRequest, MlflowImportRequest

MLFLOW = Verb(
    "mlflow",
    "Import an MLflow store: experiments, runs, metric histories, files, registered models.",
    request=MlflowImportRequest,
    opts=(
        Opt("source", ("--from",), metavar="URI"),
        Opt("experiments", ("--experiment",), metavar="NAME"),
        Opt(
            "progress",
            ("--progress",),
            switch=True,
            faces=CLI,
            help="draw a progress bar on stderr even when it is not a terminal",
        ),
        text_or_json(
            help="text for people (default); json (the MlflowImport record) for scripts",
        ),
    ),
    description="""\
Reads through MLflow's own client, so any tracking URI MLflow reads works. Runs keep their
start and end times, users, statuses (RUNNING and SCHEDULED become killed; the tag
mlflow.status keeps MLflow's), params, every metric point (step and time), tags, files
(into the content-addressed store) and parent runs. Each keeps its MLflow run id (as its id
when free, always in the tag mlflow.run_id). An experiment whose name the store has already
is merged into. Registered scikit-learn model versions come over with their run; the aliases
@champion/@production and @challenger/@staging (and the old stages) become stages. Running it
again adds only what is new; after an interruption it finishes.""",
)

IMPORT = Verb(
    "import",
    "Import another tracking system's history (MLflow).",
    example="%mlops import mlflow --from sqlite:///mlflow.db",
    actions=(MLFLOW,),
    description="""\
examples:
  jupyter-mlops import mlflow --from sqlite:///mlflow.db
  jupyter-mlops import mlflow --from file:./mlruns --experiment churn
  jupyter-mlops import mlflow --from http://mlflow.internal:5000 --format json
""",
)

EXPORT_MLFLOW = Verb(
    "mlflow",
    "Export runs and registered models into an MLflow store (made when missing).",
    request=MlflowExportRequest,
    opts=(
        Opt("target", ("--to",), metavar="URI"),
        Opt("experiments", ("--experiments", "--experiment"), metavar="NAME", nargs="+"),
        Opt("trusted", ("--trusted",)),
        Opt(
            "progress",
            ("--progress",),
            switch=True,
            faces=CLI,
            help="draw a progress bar on stderr even when it is not a terminal",
        ),
        text_or_json(
            help="text for people (default); json (the MlflowExport record) for scripts",
        ),
    ),
    description="""\
Writes through MLflow's own client, so any tracking URI MLflow writes works (a SQLite file or
mlruns folder is made when missing). Runs keep their names, start and end times, users,
statuses, params, tags, every metric point (step and time in milliseconds), files and parent
runs (mlflow.parentRunId). Each carries its id here in the tag jupyter_mlops.run_id, so running
it again adds nothing. An experiment the MLflow store already has is merged into. Registered
models come with their versions (an MLflow model folder the version came from, else an MLflow
pyfunc folder), descriptions and stages as aliases (the alias a version was imported with, else
the stage's name).""",
)

EXPORT = Verb(
    "export",
    "Export this store's history into another tracking system (MLflow).",
    example="%mlops export mlflow --to sqlite:///mlflow.db",
    actions=(EXPORT_MLFLOW,),
    description="""\
examples:
  jupyter-mlops export mlflow --to sqlite:///mlflow.db
  jupyter-mlops export mlflow --to file:./mlruns --experiments churn fraud
  jupyter-mlops export mlflow --to http://mlflow.internal:5000 --format json
""",
)
