"""Runs: a searched page, one run in full, a metric's history."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from jupyter_mlops.services.schema.base import MAX_WHOLE, Real, Request, Response, RunStatus

#: How an executed cell ended (``killed``: interrupted).
CellStatus = Literal["ok", "failed", "killed"]
Lifecycle = Literal["active", "deleted", "all"]


class RunQuery(Request):
    """Which runs, in which order, which page: the filter language of ``mlops.search_runs``."""

    filter: str = Field(
        "",
        description="only runs matching EXPR, e.g. \"metrics.auc > 0.9 and status = 'finished'\"",
    )
    experiment: list[str] = Field(
        default_factory=list, description="only runs of these experiments"
    )
    order_by: list[str] = Field(
        default_factory=list,
        description="sort keys such as 'metrics.auc desc' or name, also comma-separated "
        "(default: start_time desc)",
    )
    limit: int = Field(50, ge=0, le=MAX_WHOLE, description="at most N runs, 0 for all (default 50)")
    offset: int = Field(0, ge=0, le=MAX_WHOLE, description="skip the first N runs")
    roots_only: bool = Field(
        default=False,
        description="only runs without a parent; each run's children counts its child runs",
    )
    lifecycle: Lifecycle = Field(
        default="active", description="active runs (default), only deleted ones, or all"
    )


class RunRefs(Request):
    """Runs to delete or restore."""

    runs: list[str] = Field(
        min_length=1, description="run ids, short ids (4+ characters) or run names"
    )


class RunLifecycleChange(Response):
    """What a delete or restore changed: full ids, in the order given."""

    changed: list[str]
    unchanged: list[str] = Field(description="runs that were already deleted (or restored)")


class RunKeysQuery(Request):
    """Which runs' keys: all, or those of some experiments."""

    experiment: list[str] = Field(
        default_factory=list, description="only runs of these experiments"
    )


class RunSummary(Response):
    """One row of the runs list."""

    run_id: str
    short_id: str
    name: str
    experiment: str
    status: RunStatus
    start_time: float
    end_time: float | None
    duration: float | None
    user: str | None
    parent_id: str | None
    params: dict[str, str]
    metrics: dict[str, Real]
    tags: dict[str, str]
    children: int = Field(default=0, description="how many child runs (steps, candidates) it has")
    deleted_at: float | None = Field(None, description="when the run was deleted; null if not")


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


class RunDatasetLink(Response):
    """A dataset version a run read (``input``) or wrote (``output``) in a role."""

    ref: str = Field(description="dataset:NAME@N")
    dataset: str
    version: int
    digest: str
    role: str
    direction: str
    rows: int | None


class CellInfo(Response):
    """One executed cell of a run."""

    seq: int
    execution_count: int | None
    source: str
    started: float
    duration: float | None
    status: CellStatus
    error: str | None


class RunDetail(Response):
    """Everything stored about one run."""

    run_id: str
    short_id: str
    name: str
    experiment: str
    status: RunStatus
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
    metrics: dict[str, Real]
    tags: dict[str, str]
    artifacts: list[ArtifactInfo]
    models: list[LoggedModelInfo]
    inputs: list[RunInputInfo]
    cells: list[CellInfo]
    children: list[str]
    deleted_at: float | None = Field(None, description="when the run was deleted; null if not")


class MetricPointInfo(Response):
    """One logged value of a metric."""

    step: int
    value: Real
    timestamp: float


class MetricHistory(Response):
    """Every logged point of one metric of one run, by step."""

    run_id: str
    key: str
    points: list[MetricPointInfo]


class RunKeys(Response):
    """The param, metric and tag keys that runs have: columns to show, keys to complete."""

    params: list[str]
    metrics: list[str]
    tags: list[str]
