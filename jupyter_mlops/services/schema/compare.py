"""Runs side by side: which runs, and each param and metric across them."""

from __future__ import annotations

from pydantic import Field

from jupyter_mlops.services.schema.base import Real, Request, Response, RunStatus
from jupyter_mlops.services.schema.runs import MetricHistory


class CompareQuery(Request):
    """Which runs to compare."""

    run: list[str] = Field(
        default_factory=list,
        description="run ids, short ids (4+ characters) or names: two or more",
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


class ComparedCurve(Response):
    """One metric logged at more than one step: every compared run's points, by step."""

    key: str
    runs: list[MetricHistory]


class RunComparison(Response):
    """Runs side by side: their params (differences marked), metrics and metric curves."""

    runs: list[ComparedRun]
    missing: list[str] = Field(description="one line for each ref that names no run")
    params: list[ComparedParam]
    metrics: list[ComparedMetric]
    curves: list[ComparedCurve]
