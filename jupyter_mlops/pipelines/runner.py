"""Run a pipeline: plan which steps run or are cached, run them in parallel, record everything.

The pipeline is a tracked run plus a ``pipeline_runs`` row; each step that runs is a tracked
run (child of the pipeline's) that the executor attaches the step's kernel to, plus a
``step_runs`` row. Nothing imports papermill or starts a kernel unless a step will run.
The steps themselves are scheduled and recorded by :mod:`jupyter_mlops.pipelines.steps`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.identity import user_name
from jupyter_mlops.pipelines import cancel
from jupyter_mlops.pipelines.keys import StepPlan, file_digest, manifest_of, manifest_version, plan
from jupyter_mlops.pipelines.progress import LineProgress, PipelineStart, Progress, StepEvent
from jupyter_mlops.pipelines.promotion import check_promoted
from jupyter_mlops.pipelines.spec import Pipeline, load
from jupyter_mlops.pipelines.steps import (
    OUTPUT_DIR,
    StepOutcome,
    StepRunner,
    record_plans,
    run_steps,
    start_executor,
)
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import pipelines as records
from jupyter_mlops.tracking.fluent import start_run

__all__ = ["OUTPUT_DIR", "PipelineResult", "StepOutcome", "run_pipeline"]


@dataclass
class PipelineResult:
    """The outcome of a pipeline run."""

    pipeline_run_id: str
    run_id: str | None
    name: str
    env: str | None
    status: str
    steps: dict[str, StepOutcome] = field(default_factory=dict)
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def failed(self) -> list[StepOutcome]:
        return [s for s in self.steps.values() if s.status == "failed"]


def _pipeline_run_values(pipeline: Pipeline, env: str | None) -> tuple[dict[str, str], str, str]:
    manifest = manifest_of(pipeline)
    return manifest, file_digest(pipeline.path), manifest_version(manifest)


def _start_event(
    pipeline: Pipeline, env: str | None, prun_id: str, plans: dict[str, StepPlan]
) -> PipelineStart:
    """Every step in its planned state (a cached step with the notebook it reuses)."""
    steps = []
    for name, step_plan in plans.items():
        if step_plan.action == "cached":
            reuse = step_plan.reuse
            notebook = None if reuse is None else reuse.output_notebook
            steps.append(StepEvent(name, "cached", step_plan.reason, notebook))
        elif step_plan.action == "run":
            steps.append(StepEvent(name, "queued"))
        else:
            steps.append(StepEvent(name, "skipped", step_plan.reason))
    needs = {name: step.needs for name, step in pipeline.steps.items()}
    return PipelineStart(pipeline.name, env, prun_id, tuple(steps), needs)


def run_pipeline(
    pipeline: Pipeline | str | os.PathLike[str],
    *,
    env: str | None = None,
    params: dict[str, dict[str, str]] | list[str] | None = None,
    jobs: int = 1,
    executor: str | Any = "local",
    force: bool = False,
    only: str | None = None,
    from_step: str | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    trigger: str = "manual",
    trigger_run_id: str | None = None,
    store: Store | None = None,
) -> PipelineResult:
    """Run a pipeline: cached steps are skipped, ready steps run in parallel up to ``jobs``.

    Args:
        pipeline: The pipeline, or the path of its ``pipeline.yaml``.
        env: The environment whose parameter overlay applies (and promotion rules).
        params: Overrides as ``["step.key=value"]`` or ``{step: {key: "value"}}``.
        jobs: How many steps may run at once.
        executor: ``"local"``, ``"dask://HOST:PORT"`` or an executor object.
        force: Run every step, cached or not.
        only: Run only this step (others are reused from their last run).
        from_step: Run this step and everything downstream of it.
        resume: Reuse the steps done in the latest run of this spec and environment.
        progress: Where to show progress (default: lines on stdout).
        trigger: What started the run (``manual``, ``schedule``, ``ci``...).
        trigger_run_id: The run that triggered it, if any.
        store: The store (default: the project's).

    Returns:
        The outcome of every step; ``status`` is ``ok``, ``failed`` or ``cancelled``.

    Raises:
        MlopsUsageError: A bad spec, environment, parameter or option.
        PipelineRefused: A promotion target asked to run an unpromoted version.
    """
    started = time.monotonic()
    if not isinstance(pipeline, Pipeline):
        pipeline = load(Path(pipeline))
    if jobs < 1:
        raise MlopsUsageError(f"--jobs must be at least 1, not {jobs}.")
    store = store or current_store()
    progress = progress or LineProgress()
    manifest, spec_digest, version = _pipeline_run_values(pipeline, env)
    check_promoted(pipeline, env, manifest, store)
    resolved, plans = plan(
        pipeline,
        env=env,
        params=params,
        force=force,
        only=only,
        from_step=from_step,
        resume=resume,
        store=store,
    )
    steps = sum(1 for p in plans.values() if p.action == "run")
    # Kernels start now, while the run is recorded (a bad executor fails before any record).
    chosen = start_executor(executor, jobs, steps) if steps else None
    prun_id: str | None = None
    try:
        tags = {"pipeline": pipeline.name, "kind": "pipeline"}
        if env is not None:
            tags["env"] = env
        run = start_run(
            f"{pipeline.name}" + (f"-{env}" if env else ""),
            experiment=pipeline.name,
            tags=tags,
            # The notebook that started the pipeline, if any: pipeline.yaml is not a notebook
            # (the spec is the pipeline run's spec_path; each step run links its report).
            store=store,
        )
        options = {
            "jobs": jobs,
            "executor": executor if isinstance(executor, str) else type(executor).__name__,
            "force": force,
            "only": only,
            "from": from_step,
            "resume": resume,
            # The step graph as it ran (the UI draws it; the spec may change later).
            "needs": {name: list(step.needs) for name, step in pipeline.steps.items()},
            "manifest": manifest,
            "parts": {n: p.parts.to_dict() for n, p in plans.items()},
        }
        prun_id = records.create_pipeline_run(
            store,
            name=pipeline.name,
            spec_path=str(pipeline.path),
            spec_digest=spec_digest,
            pipeline_version=version,
            env=env,
            run_id=run.id,
            params=resolved,
            options=options,
            trigger=trigger,
            trigger_run_id=trigger_run_id,
            user=user_name(),
        )
        runner = StepRunner(
            pipeline,
            env=env,
            resolved=resolved,
            plans=plans,
            store=store,
            progress=progress,
            prun_id=prun_id,
            run=run,
        )
        progress.start(_start_event(pipeline, env, prun_id, plans))
        error: str | None = None
        try:
            record_plans(runner)
            run_steps(runner, chosen)
        except BaseException as exc:
            error = f"{type(exc).__name__}: {exc}"
            ended = "killed" if isinstance(exc, KeyboardInterrupt) else "failed"
            # The steps still running stop now: a signal to this process alone (`kill -INT`,
            # a CI job's cancel) does not reach their kernels, and close() waits for them.
            cancel.kill(prun_id)
            for name, step_run in runner.active.items():  # steps cut short: failed, not running
                now = records.end_step_run(
                    store,
                    runner.step_rows[name],
                    "failed",
                    ended=time.time(),
                    error={
                        "message": error,
                        "cell_index": None,
                        "ename": type(exc).__name__,
                        "evalue": str(exc),
                        "traceback": "",
                    },
                )
                if now == "failed":
                    step_run.end(ended, error=error)
                else:  # the cancel ended it first: it stays cancelled, its tracked run killed
                    step_run.end("killed", error="cancelled")
            for name, row in runner.step_rows.items():  # steps it never reached
                if name not in runner.outcomes and name not in runner.active:
                    records.end_step_run(store, row, "skipped", error={"note": f"not run: {error}"})
            # Cancelled before this end: the run stays cancelled (the error is still raised).
            status = records.end_pipeline_run(store, prun_id, "failed", error)
            if status == "cancelled":
                run.end("killed", error="cancelled")
            else:
                run.end(ended, error=error)
            progress.close(status)
            raise
        failed = [o for o in runner.outcomes.values() if o.status == "failed"]
        status = "failed" if failed else "ok"
        if failed:
            error = "; ".join(o.error_line() for o in failed)
        if runner.is_cancelled():
            status, error = "cancelled", "cancelled"
        # A cancel after the look above still wins: the record's status is the run's.
        status = records.end_pipeline_run(store, prun_id, status, error)
        if status == "cancelled":
            error = "cancelled"
        run.end({"ok": "finished", "cancelled": "killed"}.get(status, "failed"), error=error)
        progress.close(status)
        return PipelineResult(
            prun_id,
            run.id,
            pipeline.name,
            env,
            status,
            runner.outcomes,
            time.monotonic() - started,
        )
    finally:
        if chosen is not None and isinstance(executor, str):
            chosen.close()
        if prun_id is not None:
            cancel.forget(prun_id)
