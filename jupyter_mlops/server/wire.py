"""The REST API's request and response bodies: the one schema source.

These pydantic models generate the OpenAPI document (:mod:`jupyter_mlops.server.openapi`)
and the TypeScript wire types (``python -m jupyter_mlops.server.gen_ts``), so the Python and
TypeScript sides cannot drift apart. Field names are snake_case on the wire; times are epoch
seconds (UTC); a metric that is NaN travels as ``null``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RunStatus = Literal["running", "finished", "failed", "killed"]
#: Where the API lives, below the server's base URL.
API_BASE = "mlops/api/v1"
#: The largest version number or offset a request may give: nine digits fit the integer
#: columns of every backend (PostgreSQL refuses larger ones where SQLite would not).
MAX_WHOLE = 999_999_999

CheckStatus = Literal["passed", "failed", "error"]
PromotionOutcome = Literal["promoted", "refused", "conflict", "would_promote", "would_refuse"]


class Response(BaseModel):
    """Base of response bodies: every field is always present on the wire."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class Request(BaseModel):
    """Base of request bodies and queries: unknown fields are refused (HTTP 400)."""

    model_config = ConfigDict(extra="forbid")


# -- common ---------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    """Every error: one line saying what went wrong and what to do; refused checks if any."""

    error: str
    checks: list[GateCheck] | None = None


class Status(Response):
    """Health of the API and the store it serves."""

    ok: bool
    version: str
    root: str
    store_uri: str
    artifacts_uri: str
    runs_by_status: dict[str, int]
    scheduler_running: bool


# -- runs -----------------------------------------------------------------------------------


class RunQuery(Request):
    """Query of ``GET runs``: the filter language of ``mlops.search_runs``, paginated."""

    filter: str = Field("", description="e.g. metrics.auc > 0.9 and status = 'finished'")
    order: str = Field("", description="comma-separated keys, e.g. 'metrics.auc desc, name'")
    experiment: str = Field("", description="only runs of this experiment")
    limit: int = Field(50, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_WHOLE)


class RunSummary(Response):
    """One row of the runs list."""

    run_id: str
    short_id: str
    name: str
    experiment: str
    status: str
    start_time: float
    end_time: float | None
    duration: float | None
    user: str | None
    parent_id: str | None
    params: dict[str, str]
    metrics: dict[str, float | None]
    tags: dict[str, str]


class RunPage(Response):
    """A page of runs and how many match in all."""

    items: list[RunSummary]
    total: int
    limit: int
    offset: int


class ArtifactInfo(Response):
    """A file a run logged; ``url`` (below the server's base URL) downloads it by digest."""

    path: str
    digest: str
    size: int
    media_type: str
    kind: str
    url: str


class LoggedModelInfo(Response):
    """A model a run logged."""

    name: str
    digest: str
    size: int
    flavor: str
    format: str
    class_name: str
    signature: dict[str, Any] | None


class RunInputInfo(Response):
    """Data a run read or fitted on."""

    role: str
    kind: str
    source: str
    digest: str
    size: int | None
    info: dict[str, Any]


class CellInfo(Response):
    """One executed cell of a run."""

    seq: int
    execution_count: int | None
    source: str
    started: float
    duration: float | None
    status: str
    error: str | None


class RunDetail(Response):
    """Everything stored about one run."""

    run_id: str
    short_id: str
    name: str
    experiment: str
    status: str
    start_time: float
    end_time: float | None
    duration: float | None
    heartbeat: float
    user: str | None
    host: str | None
    parent_id: str | None
    notebook_path: str | None
    notebook_in_root: str | None = Field(
        description="the notebook's path relative to the server's root, to open it in JupyterLab"
    )
    notebook_digest: str | None
    git_commit: str | None
    git_branch: str | None
    git_dirty: bool | None
    environment: dict[str, Any]
    error: str | None
    params: dict[str, str]
    metrics: dict[str, float | None]
    tags: dict[str, str]
    artifacts: list[ArtifactInfo]
    models: list[LoggedModelInfo]
    inputs: list[RunInputInfo]
    cells: list[CellInfo]
    children: list[str]


class MetricPointInfo(Response):
    """One logged value of a metric (null when NaN)."""

    step: int
    value: float | None
    timestamp: float


class MetricHistory(Response):
    """Every logged point of one metric of one run, by step."""

    run_id: str
    key: str
    points: list[MetricPointInfo]


# -- datasets -------------------------------------------------------------------------------


class DatasetSummary(Response):
    """A dataset with its latest version."""

    name: str
    latest: int
    versions: int
    format: str
    size: int
    rows: int | None
    digest: str
    created_at: float
    description: str | None


class DatasetList(Response):
    """Every dataset, by name."""

    items: list[DatasetSummary]


class DatasetVersionInfo(Response):
    """One version ``name@N`` of a dataset."""

    name: str
    version: int
    ref: str
    digest: str
    size: int
    format: str
    kind: str
    columns: list[dict[str, str]] | None = Field(description="the schema: name and dtype")
    row_count: int | None
    profile: dict[str, dict[str, Any]] | None
    tags: dict[str, str]
    created_at: float
    created_by: str | None
    run_id: str | None
    source_path: str | None
    description: str | None
    url: str


class DatasetVersionList(Response):
    """The versions of one dataset, oldest first."""

    name: str
    items: list[DatasetVersionInfo]


# -- models ---------------------------------------------------------------------------------


class ModelSummary(Response):
    """A registered model: how many versions, the latest, which version holds each stage."""

    name: str
    versions: int
    latest_version: int | None
    stages: dict[str, int]
    description: str | None
    created_at: float
    updated_at: float


class ModelList(Response):
    """Every registered model, by name."""

    items: list[ModelSummary]


class ModelVersionInfo(Response):
    """One registered version with the metrics and params of its card."""

    name: str
    version: int
    uri: str
    run_id: str | None
    digest: str
    size: int
    flavor: str
    format: str
    class_name: str
    signature: dict[str, Any] | None
    description: str | None
    created_by: str | None
    created_at: float
    tags: dict[str, str]
    stages: list[str]
    metrics: dict[str, float | None]
    params: dict[str, str]
    card: dict[str, Any]


class ModelVersionList(Response):
    """The versions of one model, newest first."""

    name: str
    items: list[ModelVersionInfo]


class StageList(Response):
    """The stages a model may hold and the version holding each now."""

    name: str
    allowed: list[str]
    held: dict[str, int]


class GateCheck(Response):
    """The result of one promotion check."""

    expression: str
    passed: bool
    status: CheckStatus
    values: dict[str, Any]
    message: str
    error: str | None


class PromotionEventInfo(Response):
    """One audited attempt to move a stage."""

    id: int
    model: str
    stage: str
    action: str
    from_version: int | None
    to_version: int
    outcome: str
    checks: list[GateCheck]
    validation: dict[str, Any] | None
    detail: str | None
    reason: str | None
    user: str | None
    host: str | None
    created_at: float


class PromotionHistory(Response):
    """The audit trail of one model, oldest first."""

    name: str
    items: list[PromotionEventInfo]


class PromoteRequest(Request):
    """Move ``stage`` of a model to ``version`` if every check passes."""

    version: int = Field(ge=1, le=MAX_WHOLE)
    stage: str
    checks: list[str] = Field(default_factory=list, description="gate expressions")
    reason: str | None = None
    validate_notebook: str | None = Field(
        None, description="a validation notebook, relative to the server's root"
    )
    dry_run: bool = Field(False, description="evaluate the checks, move nothing, record nothing")


class PromotionResult(Response):
    """What a promotion did (or, for a dry run, would do) and each check's result."""

    model: str
    version: int
    stage: str
    from_version: int | None
    outcome: PromotionOutcome
    dry_run: bool
    checks: list[GateCheck]
    event: PromotionEventInfo | None


# -- pipelines ------------------------------------------------------------------------------


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
    status: str
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
    status: str
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


# -- schedules ------------------------------------------------------------------------------


class ScheduleInfo(Response):
    """One schedule."""

    name: str
    target_kind: str
    target: str
    cron: str
    timezone: str
    env: str | None
    params: dict[str, Any]
    monitor: dict[str, Any] | None
    enabled: bool
    coalesce: bool
    next_due: float | None
    last_tick: float | None


class ScheduleList(Response):
    """Every schedule, by name."""

    items: list[ScheduleInfo]


class ScheduleCreate(Request):
    """A new schedule of a notebook or a pipeline (exactly one), paths relative to the root."""

    name: str
    cron: str
    notebook: str | None = None
    pipeline: str | None = None
    timezone: str = "UTC"
    env: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    coalesce: bool = True


class ScheduleRunInfo(Response):
    """One tick of a schedule."""

    id: int
    schedule: str
    tick: float
    status: str
    started: float | None
    ended: float | None
    run_id: str | None
    pipeline_run_id: str | None
    output_notebook: str | None
    output_notebook_in_root: str | None = Field(
        description="the output notebook relative to the server's root, to open it in JupyterLab"
    )
    error: str | None


class ScheduleRunList(Response):
    """The runs of one schedule, newest first."""

    name: str
    items: list[ScheduleRunInfo]


# -- monitors -------------------------------------------------------------------------------


class MonitorSummary(Response):
    """A monitor with its latest drift verdict."""

    name: str
    runs: int
    schedule: bool
    threshold: float | None
    latest_time: float | None
    latest_status: str | None
    latest_drift_share: float | None
    latest_dataset_drift: bool | None


class MonitorList(Response):
    """Every monitor: tagged runs (mlops.monitor=NAME) and schedules with a monitor."""

    items: list[MonitorSummary]


class MonitorPoint(Response):
    """One run of a monitor: its drift share and verdict."""

    run_id: str
    time: float
    status: str
    drift_share: float | None
    dataset_drift: bool | None


class MonitorHistoryInfo(Response):
    """The runs of one monitor, oldest first."""

    name: str
    threshold: float | None
    points: list[MonitorPoint]


ErrorBody.model_rebuild()
