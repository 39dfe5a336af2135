"""``import``: bring another tracking system's history into the store (MLflow for now)."""

from __future__ import annotations

from jupyter_mlops.commands.grammar import CLI, Opt, Verb
from jupyter_mlops.services.schema import MlflowImportRequest

MLFLOW = Verb(
    "mlflow",
    "Import an MLflow store: experiments, runs, metric histories, files, registered models.",
    request=MlflowImportRequest,
    opts=(
        Opt("source", ("--from",), metavar="URI"),
        Opt("experiments", ("--experiment",), metavar="NAME"),
        Opt(
            "format",
            ("--format",),
            choices=("text", "json"),
            default="text",
            faces=CLI,
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
