"""``server`` (command line only): MLflow's tracking REST API over the store, without Jupyter."""

from __future__ import annotations

from jupyter_mlops.commands.grammar import CLI, Opt, Verb
from jupyter_mlops.services.schema import MlflowServerRequest

SERVER = Verb(
    "server",
    "Serve MLflow's tracking REST API over the store, so MLflow code logs here.",
    request=MlflowServerRequest,
    faces=CLI,
    opts=(
        Opt("host", ("--host",), metavar="HOST"),
        Opt("port", ("--port",), metavar="PORT"),
        Opt("token", ("--token",), metavar="TOKEN"),
        Opt("store", ("--store",), metavar="URI"),
    ),
    description="""\
Answers MLflow's tracking API at the root (/api/2.0/mlflow/...: experiments, runs, log-batch,
metric histories, search with MLflow's filter language, logged models, registered models,
versions and aliases) and its artifact service (/api/2.0/mlflow-artifacts/artifacts), so
unmodified MLflow client code logs into this store:

  MLFLOW_TRACKING_URI=http://127.0.0.1:5000 python train.py

Runs, params, metric histories, tags and files land as runs of this store; an MLflow
scikit-learn model registered with mlflow.register_model is a version of our registry, and
an alias that means a stage (champion, challenger, production, staging) promotes it. Inside
JupyterLab the same API is at http://HOST:8888/mlops/mlflow (Jupyter's token as
MLFLOW_TRACKING_TOKEN).

The server listens on 127.0.0.1; any other --host needs --token (or MLOPS_SERVER_TOKEN),
which MLflow's client sends from MLFLOW_TRACKING_TOKEN as `Authorization: Bearer TOKEN`.

examples:
  jupyter-mlops server
  jupyter-mlops server --port 5001 --store sqlite:///team/mlops.db
  jupyter-mlops server --host 0.0.0.0 --token "$TOKEN"
""",
)
