"""Move a stage of a model to a version, if every check passes; every attempt is audited.

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
"""

from __future__ import annotations

import argparse

from jupyter_mlops.cli._common import Subparsers, add_command, add_format, marks, print_json
from jupyter_mlops.errors import GateRefused, MlopsUsageError


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "promote", __doc__)
    parser.add_argument("model", metavar="MODEL", help="the registered model")
    parser.add_argument(
        "version",
        metavar="VERSION",
        nargs="?",
        help="the candidate version (optional with --rollback)",
    )
    parser.add_argument("--to", metavar="STAGE", required=True, help="the stage to move")
    parser.add_argument(
        "--from", dest="from_env", metavar="ENV", help="pipelines: the environment it passed in"
    )
    parser.add_argument(
        "--check",
        dest="checks",
        metavar="EXPR",
        action="append",
        default=[],
        help="a gate that must pass (repeatable)",
    )
    parser.add_argument("--reason", metavar="TEXT", help="why, kept in the audit trail")
    parser.add_argument("--validate", metavar="NOTEBOOK", help="a validation notebook to run first")
    parser.add_argument(
        "--stages",
        metavar="A,B",
        help="the allowed stages, comma-separated (default: staging,production)",
    )
    parser.add_argument(
        "--rollback",
        action="store_true",
        help="give the stage back to VERSION, or by default to the version it replaced",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="only evaluate the checks and print them; exit 0 if all would pass, 1 if not",
    )
    add_format(parser, "text", "json", help="text for people (default), json for scripts")
    return parser


def run(args: argparse.Namespace) -> int:
    from jupyter_mlops import models

    if args.model.endswith((".yaml", ".yml")):
        if args.dry_run:
            raise MlopsUsageError("--dry-run checks a model promotion, not a pipeline's.")
        return _promote_pipeline(args)
    if args.version is None and not args.rollback:
        raise MlopsUsageError("give the VERSION to promote; see `jupyter-mlops promote --help`.")
    stages = args.stages.split(",") if args.stages else None
    if args.dry_run:
        return _dry_run(args, stages)
    ok, bad = marks()
    try:
        if args.rollback:
            event = models.rollback(
                args.model,
                stage=args.to,
                version=args.version,
                checks=args.checks,
                reason=args.reason,
                stages=stages,
            )
        else:
            event = models.promote(
                args.model,
                args.version,
                to=args.to,
                checks=args.checks,
                reason=args.reason,
                validate=args.validate,
                stages=stages,
            )
    except GateRefused as exc:
        if args.format == "text":
            for check in exc.fields.get("failed", []):
                print(f"{bad} {check['message']}")
        raise
    if args.format == "json":
        print_json(
            {
                "id": event.id,
                "model": event.model,
                "stage": event.stage,
                "action": event.action,
                "from_version": event.from_version,
                "to_version": event.to_version,
                "outcome": event.outcome,
                "checks": [c.to_dict() for c in event.checks],
                "validation": event.validation,
            }
        )
        return 0
    for check in event.checks:
        print(f"{ok} {check.message}")
    was = f"v{event.from_version}" if event.from_version is not None else "no version"
    print(f"{ok} {event.model} v{event.to_version} now holds {event.stage} (was {was}).")
    return 0


def _dry_run(args: argparse.Namespace, stages: list[str] | None) -> int:
    from jupyter_mlops import models

    if args.rollback:
        raise MlopsUsageError(
            "--dry-run checks a promotion; give the VERSION and drop --rollback "
            "(see `jupyter-mlops models history MODEL` for the earlier versions)."
        )
    plan = models.check_promotion(
        args.model,
        args.version,
        to=args.to,
        checks=args.checks,
        validate=args.validate,
        stages=stages,
    )
    if args.format == "json":
        print_json({**plan.to_dict(), "dry_run": True})
        return 0 if plan.passed else 1
    ok, bad = marks()
    for check in plan.checks:
        print(f"{ok if check.passed else bad} {check.message}")
    was = f"v{plan.from_version}" if plan.from_version is not None else "no version"
    if plan.passed:
        print(
            f"{ok} dry run: {plan.model} v{plan.version} would take {plan.stage} "
            f"(held by {was}); nothing changed."
        )
        return 0
    print(
        f"{bad} dry run: promoting {plan.model} v{plan.version} to {plan.stage} "
        f"would be refused ({len(plan.failed)} of {len(plan.checks)} checks); nothing changed."
    )
    return 1


def _promote_pipeline(args: argparse.Namespace) -> int:
    from jupyter_mlops.pipelines.promotion import promote_pipeline

    if args.from_env is None:
        raise MlopsUsageError(
            "give --from ENV to promote a pipeline; see `jupyter-mlops promote --help`."
        )
    event = promote_pipeline(args.model, from_env=args.from_env, to_env=args.to, reason=args.reason)
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
