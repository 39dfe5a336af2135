"""Pipeline runs and their steps; starting and rerunning one."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from jupyter_mlops.services.schema.base import MAX_WHOLE, Request, Response

#: A step of a pipeline run: ``ok`` ran and succeeded, ``cached`` reused an earlier result.
StepStatus = Literal["queued", "running", "cached", "ok", "failed", "skipped"]
PipelineRunStatus = Literal["running", "ok", "failed"]


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
    """Run (or rerun) a pipeline spec inside the server's root."""

    spec: str = Field(description="path of pipeline.yaml, relative to the server's root")
    env: str | None = None
    params: list[str] = Field(default_factory=list, description="overrides: step.key=value")
    force: bool = False
    resume: bool = False
    only: str | None = None
    from_step: str | None = None
    jobs: int = Field(1, ge=1, le=64)
    wait: bool = Field(False, description="answer when the run ends instead of when it starts")


class PipelineRerunRequest(Request):
    """Run a pipeline run's spec again, in its environment with its parameter overrides."""

    force: bool = False
    resume: bool = Field(False, description="reuse the steps that succeeded last time")
    wait: bool = Field(False, description="answer when the run ends instead of when it starts")
