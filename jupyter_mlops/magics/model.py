"""``%mlops model``: register, list, show, promote, roll back, audit and load model versions.

%mlops model register churn                 # the active run's (else the last run's) model
%mlops model register churn --from clf      # a fitted estimator in the namespace
%mlops model list                           # the registry panel
%mlops model show churn [3]                 # the model panel (promote), or one version's card
%mlops model promote churn 3 --to production --check "metrics.roc_auc >= 0.85"
%mlops model promote churn 3 --to production --check "..." --dry-run   # check, change nothing
%mlops model rollback churn --to production
%mlops model history churn
%mlops model load models:/churn@production --as model
"""

from __future__ import annotations

import argparse

from jupyter_mlops import models
from jupyter_mlops.errors import ConflictError, GateRefused, MlopsUsageError
from jupyter_mlops.magics._args import VerbParser, key_value
from jupyter_mlops.magics._display import show, show_text
from jupyter_mlops.tracking.fluent import active_run
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False
_HISTORY_COLUMNS = (
    "id",
    "created_at",
    "stage",
    "action",
    "from_version",
    "to_version",
    "outcome",
    "user",
    "reason",
    "checks",
)
ACTIONS = ("register", "list", "show", "promote", "rollback", "history", "load")

parser = VerbParser("model")
parser.add_argument("action", choices=ACTIONS, metavar="ACTION", help=", ".join(ACTIONS))
parser.add_argument("target", nargs="?", metavar="NAME|URI", help="a model name or models:/ URI")
parser.add_argument("version", nargs="?", metavar="VERSION", help="a version number")
parser.add_argument("--run", metavar="RUN", help="register: the run (default: active, else last)")
parser.add_argument("--from", dest="source", metavar="VAR", help="register: a fitted estimator")
parser.add_argument("--model", metavar="M", help="register: which logged model of the run")
parser.add_argument("--description", metavar="TEXT", help="register: a description")
parser.add_argument(
    "--tag", action="append", type=key_value, default=[], metavar="K=V", help="register: a tag"
)
parser.add_argument("--to", metavar="STAGE", help="promote/rollback: the stage")
parser.add_argument(
    "--check", action="append", default=[], metavar="EXPR", help="promote: a gate (repeatable)"
)
parser.add_argument("--reason", metavar="TEXT", help="promote/rollback: why")
parser.add_argument("--validate", metavar="NOTEBOOK", help="promote: a validation notebook")
parser.add_argument(
    "--dry-run",
    action="store_true",
    help="promote: only print each check's result; the cell fails if any would fail",
)
parser.add_argument("--stage", metavar="STAGE", help="history: only this stage")
parser.add_argument("--as", dest="var", metavar="VAR", help="load: bind the model to VAR")
parser.add_argument("--trusted", action="store_true", help="load: allow pickle artifacts")


def _need_target(args: argparse.Namespace) -> str:
    if not args.target:
        raise MlopsUsageError(f"Give a model: %mlops model {args.action} NAME.")
    return str(args.target)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Run one registry action and display its result."""
    action = args.action
    if action == "list":
        from jupyter_mlops.widgets.models import ModelRegistry

        show(ModelRegistry())
    elif action == "register":
        session.refuse_in_tracked_cell("model register", "the run is not saved until the cell ends")
        name = _need_target(args)
        source: object = args.run
        if args.source:
            if args.source not in session.shell.user_ns:
                raise MlopsUsageError(f"No variable {args.source!r} to register.")
            source = session.shell.user_ns[args.source]
        if source is None:
            run = active_run()
            source = run.id if run is not None else session.last_run_id
        if source is None:
            raise MlopsUsageError("No run to register: track one first, or give --run or --from.")
        version = models.register(
            source, name, model=args.model, description=args.description, tags=dict(args.tag)
        )
        print(f"mlops: registered {version.uri} ({version.class_name.rsplit('.', 1)[-1]}).")
    elif action == "show":
        target = _need_target(args)
        if args.version is None and not target.startswith("models:/"):
            from jupyter_mlops.widgets.models import ModelPanel

            show(ModelPanel(target))
        else:
            version = models.get(target, args.version)
            show_text(str(version), version._repr_html_())
    elif action in ("promote", "rollback"):
        _promote(args)
    elif action == "history":
        frame = models.history(_need_target(args), stage=args.stage)
        show(frame[list(_HISTORY_COLUMNS)].set_index("id"))
    else:
        model = models.load(_need_target(args), trusted=args.trusted)
        if args.var:
            session.shell.user_ns[args.var] = model
            print(f"mlops: loaded {args.target} as {args.var}.")
            return None
        return model
    return None


def _promote(args: argparse.Namespace) -> None:
    name = _need_target(args)
    if not args.to:
        raise MlopsUsageError(f"Give the stage: %mlops model {args.action} {name} ... --to STAGE.")
    if args.dry_run:
        _dry_run(args, name)
        return
    try:
        if args.action == "rollback":
            event = models.rollback(
                name, stage=args.to, version=args.version, checks=args.check, reason=args.reason
            )
        else:
            if args.version is None:
                raise MlopsUsageError(f"Give the version: %mlops model promote {name} VERSION.")
            event = models.promote(
                name,
                args.version,
                to=args.to,
                checks=args.check,
                reason=args.reason,
                validate=args.validate,
            )
    except GateRefused as exc:
        for check in exc.fields.get("failed", []):
            print(f"✗ {check['message']}")
        # One line, no traceback, and the cell fails (a papermill pipeline stops here).
        raise MlopsUsageError(str(exc)) from None
    except ConflictError as exc:
        raise MlopsUsageError(str(exc)) from None
    for check in event.checks:
        print(f"✓ {check.message}")
    was = f"v{event.from_version}" if event.from_version is not None else "no version"
    print(f"mlops: {event.model} v{event.to_version} now holds {event.stage} (was {was}).")


def _dry_run(args: argparse.Namespace, name: str) -> None:
    if args.action == "rollback":
        raise MlopsUsageError(
            f"--dry-run checks a promotion: %mlops model promote {name} VERSION --to STAGE "
            "--dry-run."
        )
    if args.version is None:
        raise MlopsUsageError(f"Give the version: %mlops model promote {name} VERSION.")
    plan = models.check_promotion(
        name, args.version, to=args.to, checks=args.check, validate=args.validate
    )
    for check in plan.checks:
        print(f"{'✓' if check.passed else '✗'} {check.message}")
    if not plan.passed:
        # Like a refused promotion: one line and the cell fails, so a pipeline stops here.
        raise MlopsUsageError(
            f"Dry run: promoting {plan.model} v{plan.version} to {plan.stage} would be refused "
            f"({len(plan.failed)} of {len(plan.checks)} checks failed); nothing changed."
        )
    was = f"v{plan.from_version}" if plan.from_version is not None else "no version"
    print(
        f"mlops: dry run: {plan.model} v{plan.version} would take {plan.stage} (held by {was}); "
        "nothing changed."
    )
