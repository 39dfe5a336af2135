"""The model registry's verbs: ``jupyter-mlops models`` and ``promote``, ``%mlops model``.

Each action is declared once here; the command line's ``models`` takes list, show and
history, its ``promote`` the promotion (and ``--rollback``), and ``%mlops model`` all of
them plus register and load, which only a notebook has.
"""

from __future__ import annotations

import argparse

from jupyter_mlops.commands.grammar import BOTH, CLI, MAGIC, Opt, Verb, text_or_json
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.services.schema import PromoteRequest, RollbackRequest
from jupyter_mlops.services.schema.export import ExportRequest


def _format(record: str, *, inner: bool = False) -> Opt:
    # An action's --format leaves the verb's own (``models --format json``) alone unless given.
    return text_or_json(record, default=argparse.SUPPRESS if inner else "text")


def _pair(text: str) -> tuple[str, str]:
    # start-up: keyvalue loads only when a tag is typed.
    from jupyter_mlops.keyvalue import split

    try:
        return split(text)
    except MlopsUsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


NAME = Opt("name", metavar="MODEL", help="the registered model")
CHECKS = Opt("checks", ("--check",), metavar="EXPR", help="a gate that must pass")
REASON = Opt("reason", ("--reason",), metavar="TEXT", help="why, kept in the audit trail")
STAGES = Opt(
    "stages",
    ("--stages",),
    metavar="A,B",
    help="the allowed stages, comma-separated (default: the project's, else staging,production)",
)
#: What a promotion takes after MODEL VERSION, on every face.
PROMOTE_OPTS = (
    Opt("stage", ("--to",), metavar="STAGE", help="the stage to move"),
    CHECKS,
    REASON,
    Opt(
        "validate_notebook",
        ("--validate",),
        metavar="NOTEBOOK",
        help="a validation notebook to run against the candidate first",
    ),
    STAGES,
    Opt(
        "dry_run",
        ("--dry-run",),
        help="only evaluate the checks and show them: nothing moves, nothing is recorded",
    ),
)

LIST = Verb(
    "list", "Every registered model (the default).", opts=(_format("ModelList", inner=True),)
)

SHOW = Verb(
    "show",
    "A model's versions, or one version's card.",
    opts=(
        Opt("name", metavar="MODEL", help="a model name, or a models:/ URI for one version"),
        Opt("version", metavar="VERSION", nargs="?", help="show this version's card"),
        _format("ModelVersionList, or ModelVersionInfo for one version", inner=True),
    ),
)

HISTORY = Verb(
    "history",
    "Every promotion attempt of a model, oldest first.",
    opts=(
        NAME,
        Opt("stage", ("--stage",), metavar="STAGE", help="only this stage"),
        _format("PromotionHistory", inner=True),
    ),
)

PROMOTE = Verb(
    "promote",
    "Move a stage to a version if every check passes; every attempt is audited.",
    request=PromoteRequest,
    opts=(NAME, Opt("version", metavar="VERSION", help="the candidate version"), *PROMOTE_OPTS),
    faces=MAGIC,
)

ROLLBACK = Verb(
    "rollback",
    "Give a stage back to VERSION, or by default to the version its holder replaced.",
    request=RollbackRequest,
    opts=(
        NAME,
        Opt("version", metavar="VERSION", nargs="?", help="the version (default: the previous)"),
        Opt("stage", ("--to",), metavar="STAGE", help="the stage to give back"),
        CHECKS,
        REASON,
        STAGES,
    ),
    faces=MAGIC,
)

REGISTER = Verb(
    "register",
    "Register the active run's (else the last run's) model, or a fitted estimator.",
    opts=(
        NAME,
        Opt("run", ("--run",), metavar="RUN", help="the run (default: active, else last)"),
        Opt("source", ("--from",), metavar="VAR", help="a fitted estimator in the namespace"),
        Opt("model", ("--model",), metavar="M", help="which logged model of the run"),
        Opt("description", ("--description",), metavar="TEXT", help="a description"),
        Opt("tags", ("--tag",), metavar="KEY=VALUE", parse=_pair, repeat=True, help="a tag"),
    ),
    faces=MAGIC,
)

LOAD = Verb(
    "load",
    "Load the model a models:/ URI names, verified against its digest.",
    opts=(
        Opt("uri", metavar="URI", help="models:/NAME/VERSION, models:/NAME@STAGE or models:/NAME"),
        Opt("var", ("--as",), metavar="VAR", help="bind the model to VAR"),
        Opt("trusted", ("--trusted",), switch=True, help="allow pickle artifacts"),
    ),
    faces=MAGIC,
)

EXPORT = Verb(
    "export",
    "Write a version as a container build context, a KServe InferenceService or an MLflow model.",
    request=ExportRequest,
    opts=(
        Opt("uri", metavar="MODEL", help="NAME@STAGE, NAME/VERSION or a models:/ URI"),
        Opt("format", ("--format",), choices=("kserve", "container", "mlflow"), faces=BOTH),
        Opt("out", ("--out",), metavar="DIR"),
        Opt("trusted", ("--trusted",)),
        Opt(
            "json",
            ("--json",),
            switch=True,
            faces=CLI,
            help="print the ExportInfo record as JSON (--format names the export's format)",
        ),
    ),
    description="""\
container: a Docker build context (python:3.11-slim, this package and the model's framework
pinned to the versions recorded with its run). Its CMD runs `jupyter-mlops serve` on a store
inside the image holding only this version, under the same number, digest and stage.
kserve: an InferenceService manifest; a scikit-learn model as model/model.joblib for KServe's
sklearn runtime (V2 protocol), any other flavor as a custom predictor running our server.
mlflow: an MLmodel folder; mlflow.pyfunc.load_model(DIR).predict(X) predicts as we do.

examples:
  jupyter-mlops models export churn@production --format container --out build/churn
  jupyter-mlops models export models:/churn/3 --format mlflow --out exported/churn-3
""",
)

MODELS = Verb(
    "models",
    "List registered models, show a model's versions or one version's card, or its audit trail.",
    actions=(LIST, SHOW, HISTORY, EXPORT),
    default="list",
    opts=(_format("ModelList"),),
    faces=CLI,
    description="""\
MODEL is a registered model's name; a version is a number, or give a URI such as
models:/churn/3, models:/churn@production or models:/churn (latest).

examples:
  jupyter-mlops models
  jupyter-mlops models show churn
  jupyter-mlops models show models:/churn@production --format json | jq .card.metrics
  jupyter-mlops models history churn --stage production
""",
)

PROMOTE_COMMAND = Verb(
    "promote",
    "Move a stage of a model to a version, if every check passes; every attempt is audited.",
    request=PromoteRequest,
    opts=(
        Opt("name", metavar="MODEL", help="the registered model (or a pipeline's .yaml)"),
        Opt(
            "version",
            metavar="VERSION",
            nargs="?",
            help="the candidate version (optional with --rollback)",
        ),
        *PROMOTE_OPTS,
        Opt(
            "from_env",
            ("--from",),
            metavar="ENV",
            faces=CLI,
            help="pipelines: the environment it passed in",
        ),
        Opt(
            "rollback",
            ("--rollback",),
            switch=True,
            faces=CLI,
            help="give the stage back to VERSION, or by default to the version it replaced",
        ),
        _format("PromotionResult; a refusal prints its ErrorBody"),
    ),
    faces=CLI,
    description="""\
A check is a gate expression over the candidate's metrics, params and tags, and may compare
with the version holding a stage now: metrics.roc_auc >= production.metrics.roc_auc - 0.01.
--validate runs a notebook against the candidate first (it gets model_uri, stage and
validation_run_id as parameters). Exits 1 when a check refuses or another promotion of
the same stage won a race, 2 on bad usage (a check that does not parse is bad usage:
nothing runs and nothing is recorded).

--dry-run evaluates the same checks (and runs --validate) without promoting: it prints each
check's result, moves no stage and records no audit event, and exits 0 if the promotion
would pass, 1 if any check would fail, 2 on bad usage.

examples:
  jupyter-mlops promote churn 3 --to production --check "metrics.roc_auc >= 0.85" \\
      --check "tags.reviewed = 'yes'" --reason "quarterly retrain"
  jupyter-mlops promote churn 4 --to production --dry-run \\
      --check "metrics.roc_auc >= production.metrics.roc_auc"
  jupyter-mlops promote churn --rollback --to production --reason "v3 misbehaves"

A first argument ending in .yaml/.yml promotes a pipeline instead: the version (spec and
notebook digests) of its latest successful run in --from becomes the only version --to runs:
  jupyter-mlops promote pipeline.yaml --from staging --to production --reason "release 7"
""",
)

MODEL = Verb(
    "model",
    "Register, list, show, promote, roll back, audit, load or export model versions.",
    example='%mlops model promote churn 3 --to production --check "metrics.roc_auc >= 0.85"',
    actions=(REGISTER, LIST, SHOW, PROMOTE, ROLLBACK, HISTORY, LOAD, EXPORT),
    faces=MAGIC,
    description="""\
A version is a number or a models:/ URI (models:/churn/3, models:/churn@production,
models:/churn for the latest). `%mlops model ACTION --help` shows an action's options.""",
)
