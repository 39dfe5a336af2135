"""``jupyter-mlops promote``: each check's result as text, or the REST API's records as JSON.

A refused promotion prints every check (passed and failed) and exits 1; with
``--format json`` it prints the body the REST API answers it with (the error and every
check).
"""

from __future__ import annotations

import argparse
import sys

from jupyter_mlops.cli._common import Subparsers, add_verb, marks, print_json, print_record
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.models import PROMOTE_COMMAND, ROLLBACK
from jupyter_mlops.errors import GateRefused, MlopsUsageError
from jupyter_mlops.services.schema import GateCheck, PromoteRequest, PromotionResult


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, PROMOTE_COMMAND)


def run(args: argparse.Namespace) -> int:
    # Imported here: the store and the registry load only when a command runs, not for --help.
    from jupyter_mlops.services import models, project

    if args.name.endswith((".yaml", ".yml")):
        if args.dry_run:
            raise MlopsUsageError("--dry-run checks a model promotion, not a pipeline's.")
        return _promote_pipeline(args)
    if args.rollback and args.dry_run:
        raise MlopsUsageError(
            "--dry-run checks a promotion; give the VERSION and drop --rollback "
            "(see `jupyter-mlops models history MODEL` for the earlier versions)."
        )
    if args.version is None and not args.rollback:
        raise MlopsUsageError("give the VERSION to promote; see `jupyter-mlops promote --help`.")
    store = project.store()
    try:
        if args.rollback:
            result = models.rollback(store, args.name, grammar.request(ROLLBACK, args))
        else:
            request: PromoteRequest = grammar.request(PROMOTE_COMMAND, args)
            result = models.promote(store, args.name, request)
    except GateRefused as exc:
        body = models.refusal(exc)
        if args.format == "json":
            # The very body the REST API answers a refusal with (its 422).
            sys.stdout.write(body.model_dump_json(indent=2, exclude_none=True) + "\n")
        else:
            _print_checks(body.checks or [])
        raise
    if args.format == "json":
        print_record(result)
    else:
        print(summary(result))
    return 1 if result.outcome == "would_refuse" else 0


def _print_checks(checks: list[GateCheck]) -> None:
    ok, bad = marks()
    for check in checks:
        print(f"{ok if check.passed else bad} {check.message}")
    sys.stdout.flush()


def summary(result: PromotionResult) -> str:
    """Each check's result, then what happened (or, for a dry run, what would)."""
    ok, bad = marks()
    lines = [f"{ok if c.passed else bad} {c.message}" for c in result.checks]
    was = f"v{result.from_version}" if result.from_version is not None else "no version"
    if result.outcome == "promoted":
        lines.append(f"{ok} {result.model} v{result.version} now holds {result.stage} (was {was}).")
    elif result.outcome == "would_promote":
        lines.append(
            f"{ok} dry run: {result.model} v{result.version} would take {result.stage} "
            f"(held by {was}); nothing changed."
        )
    else:
        failed = sum(not c.passed for c in result.checks)
        lines.append(
            f"{bad} dry run: promoting {result.model} v{result.version} to {result.stage} "
            f"would be refused ({failed} of {len(result.checks)} checks); nothing changed."
        )
    return "\n".join(lines)


def _promote_pipeline(args: argparse.Namespace) -> int:
    # start-up: the pipelines package loads only for a pipeline's promotion.
    from jupyter_mlops.pipelines.promotion import promote_pipeline

    if args.from_env is None:
        raise MlopsUsageError(
            "give --from ENV to promote a pipeline; see `jupyter-mlops promote --help`."
        )
    if args.stage is None:
        raise MlopsUsageError("give --to ENV to promote a pipeline to.")
    event = promote_pipeline(
        args.name, from_env=args.from_env, to_env=args.stage, reason=args.reason
    )
    if args.format == "json":
        print_json(
            {
                "id": event.id,
                "pipeline": event.name,
                "from_env": event.from_env,
                "to_env": event.to_env,
                "pipeline_version": event.pipeline_version,
                "pipeline_run_id": event.pipeline_run_id,
                "manifest": event.manifest,
            }
        )
        return 0
    ok, _bad = marks()
    print(
        f"{ok} pipeline {event.name} version {event.pipeline_version[:12]} "
        f"promoted {event.from_env} -> {event.to_env} (from run {event.pipeline_run_id[:8]})."
    )
    return 0
