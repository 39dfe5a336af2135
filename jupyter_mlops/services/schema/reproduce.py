"""Reproducing a run or a model version from its record, and the certificate it earns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from jupyter_mlops.services.schema.base import Request, Response

Verdict = Literal["reproduced", "reproduced within tolerance", "not reproduced"]


class ReproduceRequest(Request):
    """What to reproduce, and how strictly."""

    target: str = Field(
        description="a run (id, short id or name), models:/NAME@STAGE or models:/NAME/VERSION"
    )
    tolerance: float = Field(
        default=0.0,
        ge=0.0,
        description="largest absolute difference of a metric or prediction still counted as "
        "reproduced (default 0: exact)",
    )
    strict: bool = Field(
        default=False,
        description="refuse to run when the Python or package versions differ from the record",
    )
    timeout: float | None = Field(
        default=None, gt=0, description="seconds the slice may run, all cells together"
    )


class SliceCellInfo(Response):
    """One recorded cell of the slice: kept (executed) or dropped, and why."""

    position: int
    execution_count: int | None
    tracked: bool = Field(description="recorded by the run itself (else from the session log)")
    kept: bool
    why: str


class ReproDifference(Response):
    """A metric, model or prediction that differs between the original and the reproduction."""

    kind: Literal["metric", "model", "prediction"]
    key: str
    original: Any = None
    reproduced: Any = None
    delta: Any = None


class ReproductionReport(Response):
    """The verdict of a reproduction, what it ran, and what differed (the certificate)."""

    certificate_id: int | None = Field(description="the stored certificate (null: none stored)")
    run_id: str = Field(description="the run reproduced")
    model: str | None = Field(description="models:/NAME/VERSION when a model version was asked")
    reproduction_run_id: str | None = Field(description="the run that re-executed the slice")
    verdict: Verdict
    message: str = Field(description="one line: the verdict, the first difference and its cause")
    cause: str | None = Field(
        description="the likely cause when not reproduced: nondeterministic, data digest "
        "changed, package version changed, or an error"
    )
    tolerance: float
    cells: list[SliceCellInfo]
    data: list[str] = Field(description="the data files restored from the store")
    environment: list[str] = Field(description="Python and package versions that differ")
    differences: list[ReproDifference] = Field(description="beyond the tolerance, first first")
    within_tolerance: list[ReproDifference]
    executions: int = Field(description="how many times the slice ran (2 when checking drift)")
    duration: float = Field(description="seconds the whole reproduction took")

    def __str__(self) -> str:
        """The report for people: the verdict line, then what was run and what differed."""
        kept = [c for c in self.cells if c.kept]
        lines = [self.message]
        target = self.model or f"run {self.run_id[:8]}"
        again = f", as run {self.reproduction_run_id[:8]}" if self.reproduction_run_id else ""
        lines.append(
            f"  {target}: {len(kept)} of {len(self.cells)} recorded cells re-executed "
            f"{self.executions} time(s){again} in {self.duration:.1f} s"
        )
        lines += [f"  data restored: {item}" for item in self.data]
        lines += [f"  environment differs: {item}" for item in self.environment]
        for diff in self.differences[:10]:
            lines.append(f"  differs: {diff.kind} {diff.key}: {diff.original} vs {diff.reproduced}")
        for diff in self.within_tolerance[:10]:
            lines.append(f"  within tolerance: {diff.kind} {diff.key}")
        if self.certificate_id is not None:
            lines.append(f"  certificate #{self.certificate_id} stored")
        return "\n".join(lines)
