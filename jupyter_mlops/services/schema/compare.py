"""Runs side by side: which runs, and each param and metric across them."""

from __future__ import annotations

from pydantic import Field

from jupyter_mlops.services.schema.base import MAX_WHOLE, Real, Request, Response, RunStatus
from jupyter_mlops.services.schema.runs import Lifecycle

#: The most points a curve of one run carries by default; longer histories are downsampled.
DEFAULT_CURVE_POINTS = 2000
#: How many metrics bring their curves when none is asked (the rest: their latest values).
DEFAULT_CURVES = 6


class CompareQuery(Request):
    """Which runs to compare."""

    run: list[str] = Field(
        default_factory=list,
        description="run ids, short ids (4+ characters) or names: two or more",
    )
    curve: list[str] = Field(
        default_factory=list,
        description="metrics whose curves to carry, any the runs logged "
        "(default: the first `curves` a run logged at more than one step)",
    )
    curves: int = Field(
        default=DEFAULT_CURVES,
        ge=0,
        le=MAX_WHOLE,
        description="when no curve is named, how many curves to carry: those of the first N "
        "metrics logged at more than one step (default 6; 0 for none, the table alone)",
    )
    max_points: int = Field(
        default=DEFAULT_CURVE_POINTS,
        ge=10,
        le=MAX_WHOLE,
        description="at most N points per run and curve: longer histories are downsampled "
        "(the lowest and highest value of each of N/2 step buckets kept)",
    )


class ComparedRun(Response):
    """One of the runs compared, in the order asked."""

    run_id: str
    short_id: str
    name: str
    label: str = Field(description="name (short id): how the run is headed in tables and charts")
    experiment: str
    status: RunStatus


class ComparedParam(Response):
    """One param across the runs: a value per run (null where a run did not log it)."""

    key: str
    values: list[str | None]
    differs: bool = Field(description="whether the runs disagree (absent counts as a value)")


class ComparedMetric(Response):
    """One metric's latest value per run (null where a run did not log it)."""

    key: str
    values: list[Real | None]


class ComparedLine(Response):
    """One run's points of a curve as three arrays of the same length, by step.

    Columns rather than an object per point: 100 runs x 1,000 points are 4 MB of JSON this
    way and 7 MB as objects, and are built and parsed much faster.
    """

    run_id: str
    steps: list[int]
    values: list[Real]
    timestamps: list[float] = Field(description="when each point was logged (Unix seconds)")


class ComparedCurve(Response):
    """One metric logged at more than one step: every compared run's points, by step."""

    key: str
    runs: list[ComparedLine] = Field(description="the runs that logged the metric, in order")
    logged: list[int] = Field(description="how many points each run logged (before downsampling)")
    downsampled: bool = Field(description="whether a run's points were thinned to max_points")


class RunComparison(Response):
    """Runs side by side: their params (differences marked), metrics and metric curves."""

    runs: list[ComparedRun]
    missing: list[str] = Field(description="one line for each ref that names no run")
    params: list[ComparedParam]
    metrics: list[ComparedMetric]
    curves: list[ComparedCurve]
    with_history: list[str] = Field(
        description="the metrics a run logged at more than one step (those with a curve)"
    )


class SpaceQuery(Request):
    """Which runs to lay out in param/metric space: the runs table's filter and experiments."""

    filter: str = Field(
        default="",
        description="only runs matching EXPR, e.g. \"metrics.auc > 0.9 and status = 'finished'\"",
    )
    experiment: list[str] = Field(
        default_factory=list, description="only runs of these experiments"
    )
    lifecycle: Lifecycle = Field(
        default="active", description="active runs (default), only deleted ones, or all"
    )
    limit: int = Field(
        default=2000,
        ge=1,
        le=MAX_WHOLE,
        description="at most the N newest matching runs (default 2000)",
    )


class SpaceParam(Response):
    """One param across the runs (null where a run did not log it)."""

    key: str
    values: list[str | None]
    numeric: bool = Field(description="every logged value reads as a finite number")
    distinct: int = Field(description="how many different values (absent counts as one)")


class RunSpace(Response):
    """Every matching run's params and latest metrics: the parallel-coordinates plot and the
    param-vs-metric scatter."""

    runs: list[ComparedRun] = Field(description="newest first")
    total: int = Field(description="how many runs match (more than ``runs`` when over the limit)")
    params: list[SpaceParam]
    metrics: list[ComparedMetric]
