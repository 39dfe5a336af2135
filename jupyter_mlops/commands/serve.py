"""``serve``: answer HTTP requests with a registered model, following its stage."""

from __future__ import annotations

from jupyter_mlops.commands.grammar import CLI, MAGIC, Opt, Verb
from jupyter_mlops.services.schema import ServeRequest

_URI = Opt(
    "uri",
    metavar="MODEL_URI",
    help="models:/NAME@STAGE (follows the stage as it moves) or models:/NAME/VERSION",
)
_OPTIONS = (
    Opt("host", ("--host",), metavar="HOST"),
    Opt("port", ("--port",), metavar="PORT"),
    Opt("token", ("--token",), metavar="TOKEN"),
    Opt("log", ("--no-log",), help="do not log inputs, outputs, version and latency"),
    Opt("log_sample", ("--log-sample",), metavar="SHARE"),
    Opt("poll_seconds", ("--poll-seconds",), metavar="S"),
    Opt("max_body_mb", ("--max-body-mb",), metavar="MB"),
    Opt("trusted", ("--trusted",)),
)

_DESCRIPTION = """\
Answers MLflow's scoring protocol (POST /invocations: dataframe_split, dataframe_records,
instances, inputs, or CSV), the Open Inference Protocol (POST /v2/models/NAME/infer,
GET /v2/health/live, /v2/health/ready, /v2/models/NAME) and GET /metadata. Every answer
names the version that produced it (X-Mlops-Model-Version header, model_version in the body).

Input is checked against the model's recorded signature: a missing column or a value of
the wrong type is a 400 naming the column; a body over --max-body-mb is a 413.

With models:/NAME@STAGE the server looks every --poll-seconds whether the stage moved
(a promotion or rollback from any face); the new version is loaded and checked in the
background and swapped in without dropping a request. A version that fails to load leaves
the old one serving; /v2/health/ready and /metadata say why.

Inference logging is on by default: inputs, outputs, version and latency are written in
batches (Parquet in the artifact store, indexed in the store) every second; a server killed
outright loses at most the last second of traffic. Read it back with
mlops.monitor.drift(reference=..., current="serving:NAME@STAGE", window="24h").

The server listens on 127.0.0.1; any other --host needs --token (or MLOPS_SERVE_TOKEN),
which clients send as `Authorization: Bearer TOKEN`."""

SERVE = Verb(
    "serve",
    "Serve a registered model over HTTP, following its stage as it is promoted.",
    example="%mlops serve start models:/churn@production --port 5000",
    request=ServeRequest,
    faces=CLI,
    opts=(
        _URI,
        *_OPTIONS,
        Opt("workers", ("--workers",), metavar="N"),
    ),
    description=_DESCRIPTION
    + """

examples:
  jupyter-mlops serve models:/churn@production
  jupyter-mlops serve models:/churn@production --port 8080 --workers 2 --log-sample 0.1
  jupyter-mlops serve models:/churn/3 --host 0.0.0.0 --token "$TOKEN"
  curl -s localhost:5000/invocations -H 'Content-Type: application/json' \\
       -d '{"dataframe_records": [{"age": 41, "plan": "pro"}]}'
""",
)

SERVE_MAGIC = Verb(
    "serve",
    "Serve a registered model from this notebook's kernel; list or stop those servers.",
    example="%mlops serve start models:/churn@production --port 5000",
    faces=MAGIC,
    actions=(
        Verb(
            "start",
            "Serve a model from a background thread of this kernel.",
            request=ServeRequest,
            opts=(_URI, *_OPTIONS),
            description=_DESCRIPTION,
        ),
        Verb(
            "stop",
            "Stop a server of this kernel (every one without URL).",
            opts=(Opt("url", metavar="URL", nargs="?", help="the server's URL"),),
        ),
        Verb("list", "The servers this kernel runs (the default).", opts=()),
    ),
    default="list",
)
