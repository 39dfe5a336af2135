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
%mlops model export churn@production --format container --out build/churn
"""

from __future__ import annotations

import argparse

from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.models import MODEL
from jupyter_mlops.errors import ConflictError, GateRefused, MlopsUsageError
from jupyter_mlops.magics._args import parser_for
from jupyter_mlops.magics._display import show, show_text
from jupyter_mlops.models.records import describe, version_html
from jupyter_mlops.services import models, project
from jupyter_mlops.services.schema import GateCheck, PromotionResult
from jupyter_mlops.tracking.fluent import active_run
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = parser_for(MODEL)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Run one registry action and display its result."""
    action = grammar.selected(MODEL, args).name
    store = project.store()
    if action == "list":
        # start-up: the panels load ipywidgets and pandas (~500 ms); only list and show need them.
        from jupyter_mlops.widgets.models import ModelRegistry

        show(ModelRegistry())
    elif action == "register":
        session.refuse_in_tracked_cell("model register", "the run is not saved until the cell ends")
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
            store,
            source,
            args.name,
            model=args.model,
            description=args.description,
            tags=dict(args.tags or []),
        )
        print(f"mlops: registered {version.uri} ({version.class_name.rsplit('.', 1)[-1]}).")
    elif action == "show":
        if args.version is None and not args.name.startswith("models:/"):
            # start-up: as for list.
            from jupyter_mlops.widgets.models import ModelPanel

            show(ModelPanel(args.name))
        else:
            info = models.show_version(store, args.name, args.version)
            show_text(describe(info), version_html(info))
    elif action == "export":
        from jupyter_mlops.services import export  # start-up: only an export loads it

        done = export.export(store, grammar.request(MODEL, args))
        held = f" ({done.stage})" if done.stage else ""
        print(
            f"mlops: exported models:/{done.model_name}/{done.version}{held} as {done.format} "
            f"into {done.out} ({len(done.files)} files): {' '.join(done.command)}"
        )
    elif action in ("promote", "rollback"):
        _promote(store, action, args)
    elif action == "history":
        # start-up: as for list.
        from jupyter_mlops.widgets.models import history_html, history_text

        history = models.promotions(store, args.name, args.stage)
        show_text(history_text(history), history_html(history.items))
    else:
        model = models.load(store, args.uri, trusted=bool(args.trusted))
        if args.var:
            session.shell.user_ns[args.var] = model
            print(f"mlops: loaded {args.uri} as {args.var}.")
            return None
        return model
    return None


def _marks(checks: list[GateCheck]) -> None:
    for check in checks:
        print(f"{'✓' if check.passed else '✗'} {check.message}")


def _promote(store: project.Store, action: str, args: argparse.Namespace) -> None:
    try:
        request = grammar.request(MODEL, args)
        if action == "rollback":
            result = models.rollback(store, args.name, request)
        else:
            result = models.promote(store, args.name, request)
    except GateRefused as exc:
        body = models.refusal(exc)
        _marks(body.checks or [])
        # One line, no traceback, and the cell fails (a papermill pipeline stops here).
        raise MlopsUsageError(body.error) from None
    except ConflictError as exc:
        raise MlopsUsageError(str(exc)) from None
    _marks(result.checks)
    _conclude(result)


def _conclude(result: PromotionResult) -> None:
    was = f"v{result.from_version}" if result.from_version is not None else "no version"
    if result.outcome == "promoted":
        print(f"mlops: {result.model} v{result.version} now holds {result.stage} (was {was}).")
    elif result.outcome == "would_promote":
        print(
            f"mlops: dry run: {result.model} v{result.version} would take {result.stage} "
            f"(held by {was}); nothing changed."
        )
    else:
        failed = sum(not c.passed for c in result.checks)
        # Like a refused promotion: one line and the cell fails, so a pipeline stops here.
        raise MlopsUsageError(
            f"Dry run: promoting {result.model} v{result.version} to {result.stage} would be "
            f"refused ({failed} of {len(result.checks)} checks failed); nothing changed."
        )
