"""Two runs diffed: code cell by cell, params, metrics, data versions and environment."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from jupyter_mlops.services.schema.base import Real, Request, Response, RunStatus
from jupyter_mlops.services.schema.datasets import DatasetDiff

#: How one side of a pair differs from the other.
DiffChange = Literal["same", "changed", "added", "removed"]
#: Where the cells came from: the session log of both runs, else the cells each tracked.
DiffCellSource = Literal["session", "run_cells"]


class RunDiffQuery(Request):
    """Which two runs to diff: ``a`` the before, ``b`` the after."""

    a: str = Field(description="the first run: id, short id (4+ characters) or name")
    b: str = Field(description="the second run: id, short id (4+ characters) or name")


class DiffedRun(Response):
    """One of the two runs."""

    run_id: str
    short_id: str
    name: str
    label: str = Field(description="name (short id)")
    experiment: str
    status: RunStatus
    start_time: float


class DiffedCell(Response):
    """A cell of one run, as the code diff names it."""

    position: int = Field(description="1-based place in that run's cells")
    execution_count: int | None
    status: str


class CellBlock(Response):
    """One step of the cell-aligned code diff.

    ``same``: cells equal in both runs, collapsed (``a`` and ``b`` list them); ``changed``:
    one cell edited (``diff`` the unified line diff); ``added``/``removed``: a cell only in
    ``b``/``a`` (``diff`` its lines, ``+``/``-``).
    """

    change: DiffChange
    a: list[DiffedCell]
    b: list[DiffedCell]
    diff: list[str]


class CodeDiff(Response):
    """The two runs' cells aligned by content, and how many of each kind of step."""

    source: DiffCellSource
    truncated: bool = Field(description="a session log dropped its oldest cells")
    blocks: list[CellBlock]
    edited: int
    added: int
    removed: int
    unchanged: int


class ParamChange(Response):
    """A param one run has and the other has not, or with another value."""

    key: str
    change: DiffChange
    a: str | None
    b: str | None


class MetricChange(Response):
    """A metric's latest value in both runs; ``relative`` is the delta over ``|a|``."""

    key: str
    a: Real | None
    b: Real | None
    delta: Real | None
    relative: Real | None


class DatasetChange(Response):
    """A dataset the runs read or wrote, the version each used, and what changed."""

    dataset: str
    role: str
    direction: str
    change: DiffChange
    a: str | None = Field(description="dataset:NAME@N in the first run")
    b: str | None = Field(description="dataset:NAME@N in the second run")
    diff: DatasetDiff | None = Field(description="the profile diff of two versions that differ")


class InputChange(Response):
    """Other data a run read or fitted on (a file, a frame's fingerprint), by digest."""

    role: str
    kind: str
    source: str
    change: DiffChange
    a: str | None
    b: str | None


class EnvironmentChange(Response):
    """One part of the environment that differs: Python, a package, the git state."""

    key: str = Field(description="python, platform, package NAME, git commit, ...")
    a: str | None
    b: str | None


class RunDiff(Response):
    """Why did the metric move: what differs between run ``a`` and run ``b``."""

    a: DiffedRun
    b: DiffedRun
    headline: str = Field(description="one line: the largest metric move and its likely causes")
    code: CodeDiff
    params: list[ParamChange] = Field(description="added, removed and changed params, by key")
    metrics: list[MetricChange] = Field(description="every metric, largest relative change first")
    datasets: list[DatasetChange]
    inputs: list[InputChange] = Field(description="inputs that differ")
    environment: list[EnvironmentChange] = Field(description="only what differs")
