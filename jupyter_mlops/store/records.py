"""Plain read models returned by the store: what a run looks like to a user."""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ArtifactRecord:
    """One artifact of a run."""

    path: str
    digest: str
    size: int
    media_type: str
    kind: str


@dataclass(frozen=True)
class ModelRecord:
    """A model logged by a run."""

    name: str
    digest: str
    size: int
    flavor: str
    format: str
    class_name: str
    signature: dict[str, Any] | None


#: The input kind of a dataset an MLflow client logged (``log_input``): MLflow keeps a
#: dataset's name (the input's source), digest and context (its role), not its content.
MLFLOW_DATASET = "mlflow-dataset"


@dataclass(frozen=True)
class InputRecord:
    """Data a run read or fitted on: a file, a frame or array fingerprint."""

    role: str
    kind: str
    source: str
    digest: str
    size: int | None
    info: dict[str, Any]


@dataclass(frozen=True)
class CellRecord:
    """One executed cell of a run."""

    seq: int
    execution_count: int | None
    source: str
    started: float
    duration: float | None
    status: str
    error: str | None


@dataclass(frozen=True)
class MetricPoint:
    """One logged value of a metric."""

    step: int
    value: float
    timestamp: float


@dataclass(frozen=True)
class MetricColumns:
    """Every logged point of a metric of one run as three columns of the same length, by step:
    a chart's data without an object per point."""

    steps: list[int]
    values: list[float]
    timestamps: list[float]


@dataclass(frozen=True)
class RunHead:
    """Who a run is, without what hangs off it: enough to write into it again."""

    id: str
    name: str
    experiment: str
    status: str
    start_time: float
    parent_id: str | None


@dataclass(frozen=True)
class RunRecord:
    """Everything stored about one run."""

    id: str
    name: str
    experiment: str
    status: str
    start_time: float
    end_time: float | None
    heartbeat: float
    user: str | None
    host: str | None
    pid: int | None
    parent_id: str | None
    notebook_path: str | None
    notebook_digest: str | None
    git_commit: str | None
    git_branch: str | None
    git_dirty: bool | None
    environment: dict[str, Any]
    error: str | None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    artifacts: list[ArtifactRecord] = field(default_factory=list)
    models: list[ModelRecord] = field(default_factory=list)
    inputs: list[InputRecord] = field(default_factory=list)
    cells: list[CellRecord] = field(default_factory=list)
    #: When the run was soft-deleted; None while it is not.
    deleted_at: float | None = None

    @property
    def short_id(self) -> str:
        return self.id[:8]

    @property
    def duration(self) -> float | None:
        return None if self.end_time is None else self.end_time - self.start_time

    @property
    def label(self) -> str:
        return f"{self.name} ({self.short_id})"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the run."""
        data = asdict(self)
        data["short_id"] = self.short_id
        data["metrics"] = {k: _json_float(v) for k, v in self.metrics.items()}
        return data

    def __str__(self) -> str:
        lines = [
            f"Run {self.label}  [{self.status}]  experiment={self.experiment}",
            f"  started {_fmt_time(self.start_time)}, duration {_fmt_duration(self.duration)}",
        ]
        if self.git_commit:
            dirty = " (dirty)" if self.git_dirty else ""
            lines.append(f"  git {self.git_branch or '?'}@{self.git_commit[:10]}{dirty}")
        if self.notebook_path:
            lines.append(f"  notebook {self.notebook_path}")
        for title, mapping in (("params", self.params), ("metrics", self.metrics)):
            if mapping:
                lines.append(f"  {title}:")
                lines += [f"    {k} = {_fmt_value(v)}" for k, v in sorted(mapping.items())]
        if self.tags:
            lines.append("  tags: " + ", ".join(f"{k}={v}" for k, v in sorted(self.tags.items())))
        if self.models:
            lines.append(
                "  models: " + ", ".join(f"{m.name} ({m.class_name})" for m in self.models)
            )
        if self.inputs:
            lines.append("  inputs:")
            lines += [f"    {i.role}: {i.source} ({i.digest[:12]})" for i in self.inputs]
        if self.artifacts:
            lines.append("  artifacts:")
            lines += [f"    {a.path} ({_fmt_size(a.size)})" for a in self.artifacts]
        if self.error:
            lines.append("  error: " + self.error.strip().splitlines()[-1])
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        def table(mapping: dict[str, Any]) -> str:
            rows = "".join(
                f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(_fmt_value(v))}</td></tr>"
                for k, v in sorted(mapping.items())
            )
            return f"<table>{rows}</table>"

        parts = [
            f"<div class='mlops-run'><b>{html.escape(self.name)}</b> "
            f"<code>{self.short_id}</code> <span>{html.escape(self.status)}</span> "
            f"in <i>{html.escape(self.experiment)}</i>, {_fmt_duration(self.duration)}"
        ]
        if self.params:
            parts.append("<h4>Params</h4>" + table(self.params))
        if self.metrics:
            parts.append("<h4>Metrics</h4>" + table(self.metrics))
        if self.tags:
            parts.append("<h4>Tags</h4>" + table(self.tags))
        if self.artifacts:
            parts.append(
                "<h4>Artifacts</h4>"
                + table({a.path: f"{a.kind}, {_fmt_size(a.size)}" for a in self.artifacts})
            )
        if self.error:
            parts.append(f"<pre>{html.escape(self.error)}</pre>")
        return "".join(parts) + "</div>"


def _json_float(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _fmt_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _fmt_time(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "running"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def _fmt_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def loads_json(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {}
