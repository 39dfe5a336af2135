"""The records every service takes and returns: one schema for every face.

A service function takes a request record (unknown fields refused) and returns a response
record (every field always present). The REST API sends these records as they are, the
CLI's ``--format json`` prints the same JSON, the OpenAPI document and the TypeScript client
are generated from them. Field names are snake_case; times are epoch seconds (UTC).
"""

from __future__ import annotations

from jupyter_mlops.services.schema.base import (
    API_BASE,
    MAX_WHOLE,
    CheckStatus,
    PromotionOutcome,
    Request,
    Response,
    RunStatus,
)
from jupyter_mlops.services.schema.datasets import (
    DatasetList,
    DatasetSummary,
    DatasetVersionInfo,
    DatasetVersionList,
)
from jupyter_mlops.services.schema.lineage import (
    LineageEdge,
    LineageGraph,
    LineageKind,
    LineageNode,
)
from jupyter_mlops.services.schema.models import (
    EventOutcome,
    GateCheck,
    ModelList,
    ModelSummary,
    ModelVersionInfo,
    ModelVersionList,
    PromoteRequest,
    PromotionAction,
    PromotionEventInfo,
    PromotionHistory,
    PromotionResult,
    StageList,
)
from jupyter_mlops.services.schema.monitors import (
    MonitorHistoryInfo,
    MonitorList,
    MonitorPoint,
    MonitorSummary,
)
from jupyter_mlops.services.schema.pipelines import (
    PipelineRerunRequest,
    PipelineRunDetail,
    PipelineRunPage,
    PipelineRunQuery,
    PipelineRunRequest,
    PipelineRunStatus,
    PipelineRunSummary,
    StepRunInfo,
    StepStatus,
)
from jupyter_mlops.services.schema.runs import (
    ArtifactInfo,
    CellInfo,
    CellStatus,
    LoggedModelInfo,
    MetricHistory,
    MetricPointInfo,
    RunDetail,
    RunInputInfo,
    RunKeys,
    RunKeysQuery,
    RunPage,
    RunQuery,
    RunSummary,
)
from jupyter_mlops.services.schema.schedules import (
    ScheduleCreate,
    ScheduleHistoryQuery,
    ScheduleInfo,
    ScheduleList,
    ScheduleRunInfo,
    ScheduleRunList,
    ScheduleRunStatus,
    TargetKind,
)
from jupyter_mlops.services.schema.status import ErrorBody, Status

__all__ = [
    "API_BASE",
    "MAX_WHOLE",
    "ArtifactInfo",
    "CellInfo",
    "CellStatus",
    "CheckStatus",
    "DatasetList",
    "DatasetSummary",
    "DatasetVersionInfo",
    "DatasetVersionList",
    "ErrorBody",
    "EventOutcome",
    "GateCheck",
    "LineageEdge",
    "LineageGraph",
    "LineageKind",
    "LineageNode",
    "LoggedModelInfo",
    "MetricHistory",
    "MetricPointInfo",
    "ModelList",
    "ModelSummary",
    "ModelVersionInfo",
    "ModelVersionList",
    "MonitorHistoryInfo",
    "MonitorList",
    "MonitorPoint",
    "MonitorSummary",
    "PipelineRerunRequest",
    "PipelineRunDetail",
    "PipelineRunPage",
    "PipelineRunQuery",
    "PipelineRunRequest",
    "PipelineRunStatus",
    "PipelineRunSummary",
    "PromoteRequest",
    "PromotionAction",
    "PromotionEventInfo",
    "PromotionHistory",
    "PromotionOutcome",
    "PromotionResult",
    "Request",
    "Response",
    "RunDetail",
    "RunInputInfo",
    "RunKeys",
    "RunKeysQuery",
    "RunPage",
    "RunQuery",
    "RunStatus",
    "RunSummary",
    "ScheduleCreate",
    "ScheduleHistoryQuery",
    "ScheduleInfo",
    "ScheduleList",
    "ScheduleRunInfo",
    "ScheduleRunList",
    "ScheduleRunStatus",
    "StageList",
    "Status",
    "StepRunInfo",
    "StepStatus",
    "TargetKind",
]
