"""Promotion of pipelines between environments, in the order of the spec's ``promotion`` list.

``promotion: [dev, staging, production]`` makes ``staging`` and ``production`` promotion
targets: a run there executes only the pipeline version (digests of the spec and every step
notebook) promoted into it, and refuses a changed spec or notebook until it is promoted again.
``dev``, first in the list, and environments not listed run any version. A promotion takes the
version of the newest successful run in the source environment and is recorded as an audit
event in ``pipeline_promotions``, like a model promotion.
"""

from __future__ import annotations

from dataclasses import dataclass

from jupyter_mlops.config import load_config
from jupyter_mlops.errors import MlopsUsageError, PipelineRefused
from jupyter_mlops.identity import user_name
from jupyter_mlops.pipelines.keys import manifest_of, manifest_version
from jupyter_mlops.pipelines.spec import Pipeline, load
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import pipelines as records


@dataclass(frozen=True)
class PromotionResult:
    """A recorded pipeline promotion."""

    id: int
    name: str
    from_env: str
    to_env: str
    pipeline_version: str
    pipeline_run_id: str
    manifest: dict[str, str]


def is_target(pipeline: Pipeline, env: str | None) -> bool:
    """Whether ``env`` runs only promoted versions (listed in ``promotion``, not first)."""
    return env is not None and env in pipeline.promotion[1:]


def _changed(now: dict[str, str], then: dict[str, str]) -> list[str]:
    return sorted(p for p in now.keys() | then.keys() if now.get(p) != then.get(p))


def check_promoted(
    pipeline: Pipeline, env: str | None, manifest: dict[str, str], store: Store
) -> None:
    """Refuse to run in a promotion target anything but the version promoted into it.

    Raises:
        PipelineRefused: Nothing was promoted into ``env``, or files changed since.
    """
    if not is_target(pipeline, env):
        return
    assert env is not None
    found = records.promotions(store, pipeline.name, env)
    if not found:
        before = pipeline.promotion[pipeline.promotion.index(env) - 1]
        raise PipelineRefused(
            f"pipeline {pipeline.name!r}: nothing was promoted to {env!r}; run it in {before!r}, "
            f"then `jupyter-mlops promote {pipeline.path.name} --from {before} --to {env}`."
        )
    latest = found[0]
    if manifest_version(manifest) != latest.pipeline_version:
        changed = _changed(manifest, latest.manifest)
        raise PipelineRefused(
            f"pipeline {pipeline.name!r}: {', '.join(changed)} changed since the version "
            f"promoted to {env!r} (promotion #{latest.id}); promote the new version first."
        )


def promote_pipeline(
    pipeline: Pipeline | str,
    *,
    from_env: str,
    to_env: str,
    reason: str | None = None,
    user: str | None = None,
    store: Store | None = None,
) -> PromotionResult:
    """Promote the version that last succeeded in ``from_env`` to ``to_env``.

    Args:
        pipeline: The pipeline or the path of its spec.
        from_env: The environment it succeeded in.
        to_env: The next environment in the spec's ``promotion`` list.
        reason: Why, kept in the audit trail.
        user: Who (default: the current user).
        store: The store (default: the project's).

    Returns:
        The recorded promotion.

    Raises:
        MlopsUsageError: The environments are not consecutive in ``promotion``, or ``to_env``
            is one of the ``gated_stages`` (default: production) and no step has a ``gate``.
        PipelineRefused: No successful run in ``from_env``, or the files changed since it.
    """
    if not isinstance(pipeline, Pipeline):
        pipeline = load(pipeline)
    store = store or current_store()
    order = pipeline.promotion
    if not order:
        raise MlopsUsageError(
            f"{pipeline.path}: no 'promotion' list; add e.g. promotion: [dev, staging, production]."
        )
    for env in (from_env, to_env):
        if env not in order:
            raise MlopsUsageError(
                f"{pipeline.path}: {env!r} is not in the promotion order {', '.join(order)}."
            )
    if order.index(to_env) != order.index(from_env) + 1:
        raise MlopsUsageError(
            f"{pipeline.path}: promote one step at a time along {' -> '.join(order)}; "
            f"{to_env!r} does not follow {from_env!r}."
        )
    gated = load_config().gated_stages
    if to_env in gated and not any(step.gate for step in pipeline.steps.values()):
        # As for a model: a gated stage is never reached through no check at all.
        raise MlopsUsageError(
            f"{pipeline.path}: promotion to {to_env} needs at least one step with a gate "
            f'(e.g. gate: "metrics.roc_auc >= 0.8"); gated stages: {", ".join(gated)}.'
        )
    source = records.latest_pipeline_run(
        store, pipeline.name, env=from_env, status="ok", exclude_trigger="accept"
    )
    if source is None:
        raise PipelineRefused(
            f"pipeline {pipeline.name!r} has no successful run in {from_env!r} to promote."
        )
    manifest = manifest_of(pipeline)
    run_manifest = source.options.get("manifest") or {}
    if source.pipeline_version != manifest_version(manifest):
        changed = _changed(manifest, run_manifest)
        raise PipelineRefused(
            f"pipeline {pipeline.name!r}: {', '.join(changed) or 'files'} changed since the "
            f"last successful run in {from_env!r}; run it there again before promoting."
        )
    event = records.add_promotion(
        store,
        name=pipeline.name,
        from_env=from_env,
        to_env=to_env,
        pipeline_version=source.pipeline_version,
        manifest=manifest,
        pipeline_run_id=source.id,
        reason=reason,
        user_name=user or user_name(),
    )
    return PromotionResult(
        event, pipeline.name, from_env, to_env, source.pipeline_version, source.id, manifest
    )
