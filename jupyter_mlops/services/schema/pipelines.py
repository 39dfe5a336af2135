"""Pipeline runs and their steps; starting and rerunning one."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from jupyter_mlops.services.schema.base import MAX_WHOLE, Request, Response

#: A step of a pipeline run: ``ok`` ran and succeeded, ``cached`` reused an earlier result.
StepStatus = Literal["queued", "running", "cached", "ok", "failed", "skipped", "cancelled"]
PipelineRunStatus = Literal["running", "ok", "failed", "cancelled"]
#: What a run would do with a step: run it, reuse its cached result, or leave it out.
StepAction = Literal["run", "cached", "skip"]


class PipelineRunQuery(Request):
    """Query of ``GET pipelines/runs``, newest first."""

    name: str = Field("", description="only runs of this pipeline")
    limit: int = Field(50, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_WHOLE)


class StepRunInfo(Response):
    """One step of one pipeline run."""

    id: int
    step: str
    run_id: str | None
    cache_key: str | None
    status: StepStatus
    attempt: int
    started: float | None
    ended: float | None
    output_notebook: str | None
    output_notebook_in_root: str | None = Field(
        description="the output notebook relative to the server's root, to open it in JupyterLab"
    )
    outputs: dict[str, str]
    error: dict[str, Any] | None
    reason: str = Field(
        description="one line: why the step was cached or skipped, or where and why it failed"
    )


class PipelineRunSummary(Response):
    """One run of a pipeline; ``steps`` counts its steps by status."""

    id: str
    name: str
    spec_path: str
    env: str | None
    status: PipelineRunStatus
    run_id: str | None
    trigger: str | None
    started: float
    ended: float | None
    error: str | None
    pipeline_version: str
    steps: dict[str, int]
    summary: str = Field(
        description="what ran and what did not, e.g. '4 steps cached, 0 ran' or "
        "'1 step cached, 2 ran, 1 failed'"
    )


class PipelineRunPage(Response):
    """A page of pipeline runs, newest first, and how many there are in all."""

    items: list[PipelineRunSummary]
    total: int
    limit: int
    offset: int


class PipelineRunDetail(Response):
    """A pipeline run with its steps."""

    run: PipelineRunSummary
    params: dict[str, Any]
    options: dict[str, Any]
    step_runs: list[StepRunInfo]


class PipelineRunRequest(Request):
    """Run (or rerun) a pipeline spec (over REST: inside the server's root).

    The command line also runs a notebook as a one-step pipeline (``spec`` ending in
    ``.ipynb``; ``params`` are then ``KEY=VALUE``).
    """

    spec: str = Field(description="path of pipeline.yaml (over REST relative to the server's root)")
    env: str | None = Field(None, description="the environment (its params overlay, promotion)")
    params: list[str] = Field(
        default_factory=list,
        description="a parameter: STEP.KEY=VALUE (KEY=VALUE for a notebook), typed by the "
        "default in the notebook's parameters cell",
    )
    force: bool = Field(
        False, description="run every step, cached or not (with --only/--from: those steps)"
    )
    resume: bool = Field(False, description="rerun what failed or never ran in the last run")
    only: str | None = Field(None, description="run only this step (others reuse their last run)")
    from_step: str | None = Field(None, description="run this step and every step after it")
    jobs: int = Field(1, ge=1, le=64, description="how many steps run at once")
    wait: bool = Field(False, description="answer when the run ends instead of when it starts")


class PipelineStatusQuery(Request):
    """What ``run`` would do with each step of a spec, and why (``GET pipelines/status``)."""

    spec: str = Field(description="path of pipeline.yaml (over REST relative to the server's root)")
    env: str | None = Field(None, description="the environment")
    params: list[str] = Field(
        default_factory=list, description="a parameter override: STEP.KEY=VALUE"
    )
    force: bool = Field(False, description="as if run with --force")
    only: str | None = Field(None, description="as if run with --only STEP")
    from_step: str | None = Field(None, description="as if run with --from STEP")


class StepPlanInfo(Response):
    """What a run would do with one step, and why; ``key`` is the step's cache key."""

    step: str
    action: StepAction
    reason: str
    key: str


class PipelineStatus(Response):
    """What ``run`` would do with each step of a pipeline, in run order (nothing runs)."""

    name: str
    env: str | None
    steps: list[StepPlanInfo]
    would_run: int
    summary: str = Field(description="e.g. '1 of 4 step(s) would run.'")


class PipelineAcceptRequest(Request):
    """Take a step's current outputs as up to date, so the next run caches it."""

    spec: str = Field(description="path of pipeline.yaml")
    step: str = Field(description="the step whose outputs to accept")
    env: str | None = Field(None, description="the environment")
    params: list[str] = Field(
        default_factory=list, description="a parameter override: STEP.KEY=VALUE"
    )


class PipelineRerunRequest(Request):
    """Run a pipeline run's spec again, in its environment with its parameter overrides."""

    force: bool = False
    resume: bool = Field(False, description="reuse the steps that succeeded last time")
    wait: bool = Field(False, description="answer when the run ends instead of when it starts")


class PipelineSpecQuery(Request):
    """Which pipeline specs of the server's root to list."""

    limit: int = Field(200, ge=1, le=1000, description="at most N specs")


class SpecStepInfo(Response):
    """One step of a spec: its notebook, the steps it needs, its parameters' defaults."""

    name: str
    notebook: str = Field(description="relative to the server's root")
    needs: list[str]
    params: dict[str, Any] = Field(
        description="every parameter the step takes with its default (the notebook's "
        "parameters cell, then the spec's params)"
    )
    param_types: dict[str, str] = Field(
        description="each parameter's type, by its default: int, float, str, bool, list, "
        "dict or any (JSON writes the float 1.0 as 1)"
    )


class PipelineSpecInfo(Response):
    """A pipeline spec found under the server's root (``error``: it does not load)."""

    path: str = Field(description="relative to the server's root")
    name: str
    description: str
    environments: list[str]
    steps: list[SpecStepInfo]
    error: str | None = Field(description="one line: why the spec does not load")


class PipelineSpecList(Response):
    """The pipeline specs under the server's root, by path."""

    items: list[PipelineSpecInfo]


class LogCell(Response):
    """One code cell of a step's executed notebook so far."""

    index: int = Field(description="position among the notebook's code cells")
    source: str
    status: Literal["pending", "running", "ok", "failed"]
    output: str = Field(description="its text output so far (the end of it when long)")


class StepFailure(Response):
    """The cell a step failed in and the error it raised."""

    cell_index: int | None
    source: str = Field(description="the failing cell's code ('' when no cell was running)")
    ename: str
    evalue: str
    traceback: str


class StepLog(Response):
    """A step's executed notebook so far: live while it runs, its report after."""

    pipeline_run_id: str
    step: str
    status: StepStatus
    attempt: int
    notebook_in_root: str | None
    cells: list[LogCell]
    failure: StepFailure | None
