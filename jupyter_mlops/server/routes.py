"""The REST API in one table: each route names the service function that answers it.

A :class:`Route` is a method and a path below ``/mlops/api/v1/``, the service function, its
request record (the query of a GET, the JSON body of a POST) and its response record. The
handlers, the OpenAPI document and the TypeScript client are all built from :data:`ROUTES`,
so none of them can forget a route or describe it differently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from jupyter_mlops.services import (
    compare,
    datasets,
    diff,
    models,
    monitors,
    pipelines,
    previews,
    reproduce,
    run_links,
    run_notes,
    run_tags,
    runs,
    schedules,
    schema,
    serving,
)
from jupyter_mlops.services import status as health

Method = Literal["GET", "POST", "DELETE"]
_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Route:
    """One operation of the API.

    The service is called as ``call(store, *path values, request, **context)``: path values
    in the order the path names them (those in ``numbers`` as whole numbers from 1), the
    request record when the route has one, and the server's ``context`` attributes (such as
    ``root``) by keyword. A route with ``accepted`` gets ``(record, ended)`` back and answers
    200 when the work ended, ``status`` (202) while it goes on.
    """

    method: Method
    path: str
    name: str
    summary: str
    call: Callable[..., Any]
    response: type[BaseModel] | None
    request: type[schema.Request] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    slow: bool = False
    context: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    accepted: bool = False

    @property
    def params(self) -> list[str]:
        """The names of the path's values, in order."""
        return _PARAM.findall(self.path)

    @property
    def pattern(self) -> str:
        """The tornado URL pattern (below the server's base URL)."""
        return f"/{schema.API_BASE}/" + _PARAM.sub(r"(?P<\1>[^/]+)", self.path)


_ROOT = ("root",)

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "status",
        "getStatus",
        "Health of the API and its store",
        health.status,
        schema.Status,
        context=("root", "scheduler_running"),
    ),
    # -- runs
    Route(
        "GET",
        "runs",
        "searchRuns",
        "Search runs with the filter language, a page at a time",
        runs.search,
        schema.RunPage,
        request=schema.RunQuery,
        errors=(400, 404),
    ),
    Route(
        "GET",
        "runs/keys",
        "runKeys",
        "The param, metric and tag keys runs have (columns, completion)",
        runs.keys,
        schema.RunKeys,
        request=schema.RunKeysQuery,
        errors=(400, 404),
    ),
    Route(
        "POST",
        "runs/tags",
        "tagRuns",
        "Set tags on several runs at once (all of them or none)",
        run_tags.set_tags,
        schema.RunTagsResult,
        request=schema.RunTagsRequest,
        errors=(400, 404),
    ),
    Route(
        "GET",
        "experiments",
        "listExperiments",
        "Every experiment with its number of runs",
        run_tags.experiments,
        schema.ExperimentList,
    ),
    Route(
        "GET",
        "runs/compare",
        "compareRuns",
        "Runs side by side: params (differences marked), metrics and (downsampled) metric curves",
        compare.compare,
        schema.RunComparison,
        request=schema.CompareQuery,
        errors=(400, 404),
    ),
    Route(
        "GET",
        "runs/space",
        "runSpace",
        "Every run matching a filter by params and latest metrics (parallel coordinates, scatter)",
        compare.space,
        schema.RunSpace,
        request=schema.SpaceQuery,
        errors=(400, 404),
    ),
    Route(
        "POST",
        "runs/delete",
        "deleteRuns",
        "Soft-delete runs: they leave searches until restored or purged by gc",
        runs.delete,
        schema.RunLifecycleChange,
        request=schema.RunRefs,
        errors=(400, 404),
    ),
    Route(
        "POST",
        "runs/restore",
        "restoreRuns",
        "Restore soft-deleted runs",
        runs.restore,
        schema.RunLifecycleChange,
        request=schema.RunRefs,
        errors=(400, 404),
    ),
    Route(
        "GET",
        "runs/diff",
        "diffRuns",
        "Two runs diffed: why did the metric move (code, params, metrics, data, environment)",
        diff.diff,
        schema.RunDiff,
        request=schema.RunDiffQuery,
        errors=(400, 404),
    ),
    Route(
        "GET",
        "runs/{run_id}",
        "getRun",
        "One run with everything stored about it",
        runs.detail,
        schema.RunDetail,
        context=_ROOT,
    ),
    Route(
        "GET",
        "runs/{run_id}/links",
        "getRunLinks",
        "What a run is linked to: dataset versions, model versions, pipeline run, reproductions",
        run_links.links,
        schema.RunLinks,
        context=_ROOT,
    ),
    Route(
        "GET",
        "runs/{run_id}/note",
        "getRunNote",
        "A run's markdown note, also rendered as HTML",
        run_notes.get_note,
        schema.RunNote,
    ),
    Route(
        "POST",
        "runs/{run_id}/note",
        "setRunNote",
        "Keep a markdown note on a run (its mlflow.note.content tag; empty removes it)",
        run_notes.set_note,
        schema.RunNote,
        request=schema.RunNoteRequest,
        errors=(400, 404),
    ),
    Route(
        "GET",
        "runs/{run_id}/preview",
        "previewArtifact",
        "What to show inline of one of a run's artifacts (a table's first rows, a text's start)",
        previews.preview,
        schema.ArtifactPreview,
        request=schema.PreviewQuery,
        errors=(400, 404),
        slow=True,
    ),
    Route(
        "GET",
        "runs/{run_id}/notebook",
        "getRunNotebook",
        "The notebook a run executed, cell by cell with its outputs, to show read-only",
        previews.recorded_notebook,
        schema.ArtifactPreview,
        slow=True,
        context=_ROOT,
    ),
    Route(
        "POST",
        "reproductions",
        "reproduce",
        "Re-execute a run's (or model version's) recorded cells in a clean kernel; certify it",
        reproduce.reproduce,
        schema.ReproductionReport,
        request=schema.ReproduceRequest,
        errors=(400, 404, 409),  # 409: the record's data is gone from the artifact store
        slow=True,
    ),
    Route(
        "GET",
        "runs/{run_id}/metrics/{key}",
        "getMetricHistory",
        "Every logged point of one metric of a run",
        runs.metric_points,
        schema.MetricHistory,
    ),
    # -- datasets
    Route(
        "GET",
        "datasets",
        "listDatasets",
        "Every dataset with its latest version",
        datasets.list_datasets,
        schema.DatasetList,
    ),
    Route(
        "GET",
        "datasets/{name}",
        "listDatasetVersions",
        "The versions of one dataset",
        datasets.list_versions,
        schema.DatasetVersionList,
    ),
    Route(
        "GET",
        "datasets/{name}/diff",
        "diffDatasetVersions",
        "What changed between two versions of a dataset: content, rows, schema, profile",
        datasets.diff_versions,
        schema.DatasetDiff,
        request=schema.DatasetDiffQuery,
        errors=(400, 404),
    ),
    Route(
        "GET",
        "datasets/{name}/{version}",
        "getDatasetVersion",
        "One version of a dataset",
        datasets.get_version,
        schema.DatasetVersionInfo,
        numbers=("version",),
    ),
    Route(
        "POST",
        "datasets/{name}/{version}/tags",
        "tagDatasetVersion",
        "Set tags on a version of a dataset",
        datasets.tag_version,
        schema.DatasetVersionInfo,
        request=schema.DatasetTagRequest,
        errors=(400, 404),
        numbers=("version",),
    ),
    # -- models
    Route(
        "GET",
        "models",
        "listModels",
        "Every registered model and its stages",
        models.list_models,
        schema.ModelList,
    ),
    Route(
        "GET",
        "models/{name}",
        "listModelVersions",
        "The versions of one model",
        models.list_versions,
        schema.ModelVersionList,
    ),
    Route(
        "GET",
        "models/{name}/versions/{version}",
        "getModelVersion",
        "One version of a model",
        models.get_version,
        schema.ModelVersionInfo,
        numbers=("version",),
    ),
    Route(
        "GET",
        "models/{name}/stages",
        "getStages",
        "The stages of a model and who holds them",
        models.stages,
        schema.StageList,
    ),
    Route(
        "POST",
        "models/{name}/promote",
        "promoteModel",
        "Promote a version to a stage behind checks (dry_run: only evaluate them)",
        models.promote,
        schema.PromotionResult,
        request=schema.PromoteRequest,
        errors=(400, 404, 409, 422),
        slow=True,
        context=_ROOT,
    ),
    Route(
        "POST",
        "models/{name}/rollback",
        "rollbackModel",
        "Give a stage back to an earlier version (default: the one its holder replaced)",
        models.rollback,
        schema.PromotionResult,
        request=schema.RollbackRequest,
        errors=(400, 404, 409, 422),
    ),
    Route(
        "GET",
        "models/{name}/promotions",
        "getPromotionHistory",
        "The promotion audit trail of a model",
        models.promotions,
        schema.PromotionHistory,
    ),
    Route(
        "GET",
        "models/{name}/serving",
        "getModelServing",
        "The servers of a model's versions and their traffic in the last hour",
        serving.model_serving,
        schema.ModelServing,
        errors=(404,),
    ),
    # -- pipelines
    Route(
        "GET",
        "pipelines/specs",
        "listPipelineSpecs",
        "The pipeline specs under the server's root: environments, steps and their parameters",
        pipelines.specs,
        schema.PipelineSpecList,
        request=schema.PipelineSpecQuery,
        errors=(400,),
        slow=True,
        context=_ROOT,
    ),
    Route(
        "GET",
        "pipelines/status",
        "getPipelineStatus",
        "What a run of a pipeline spec inside the server's root would do with each step, and why",
        pipelines.status,
        schema.PipelineStatus,
        request=schema.PipelineStatusQuery,
        errors=(400,),
        slow=True,
        context=_ROOT,
    ),
    Route(
        "GET",
        "pipelines/runs",
        "listPipelineRuns",
        "Pipeline runs, newest first",
        pipelines.list_runs,
        schema.PipelineRunPage,
        request=schema.PipelineRunQuery,
        errors=(400,),
    ),
    Route(
        "POST",
        "pipelines/runs",
        "startPipelineRun",
        "Run a pipeline spec inside the server's root (202 when started, 200 when waited for)",
        pipelines.start_run,
        schema.PipelineRunDetail,
        request=schema.PipelineRunRequest,
        status=202,
        errors=(400,),
        slow=True,
        context=_ROOT,
        accepted=True,
    ),
    Route(
        "GET",
        "pipelines/runs/{run_id}",
        "getPipelineRun",
        "One pipeline run with its steps",
        pipelines.get_run,
        schema.PipelineRunDetail,
        context=_ROOT,
    ),
    Route(
        "POST",
        "pipelines/runs/{run_id}/rerun",
        "rerunPipelineRun",
        "Run a pipeline run's spec again in its environment",
        pipelines.rerun,
        schema.PipelineRunDetail,
        request=schema.PipelineRerunRequest,
        status=202,
        errors=(400, 404),
        slow=True,
        context=_ROOT,
        accepted=True,
    ),
    Route(
        "POST",
        "pipelines/runs/{run_id}/cancel",
        "cancelPipelineRun",
        "Cancel a running pipeline run: its kernels are killed, it and its unfinished steps "
        "end cancelled",
        pipelines.cancel,
        schema.PipelineRunDetail,
        errors=(404, 409),
        context=_ROOT,
    ),
    Route(
        "GET",
        "pipelines/runs/{run_id}/steps/{step}/log",
        "getStepLog",
        "A step's executed notebook so far (live while it runs) and its failing cell",
        pipelines.step_log,
        schema.StepLog,
        errors=(404,),
        context=_ROOT,
    ),
    # -- schedules
    Route(
        "GET",
        "cron/preview",
        "previewCron",
        "The next ticks of a cron expression, as wall-clock times of its timezone",
        schedules.preview,
        schema.CronPreview,
        request=schema.CronPreviewQuery,
        errors=(400,),
    ),
    Route(
        "GET",
        "schedules",
        "listSchedules",
        "Every schedule",
        schedules.list_schedules,
        schema.ScheduleList,
    ),
    Route(
        "POST",
        "schedules",
        "createSchedule",
        "Add a schedule of a notebook or pipeline inside the server's root",
        schedules.add,
        schema.ScheduleInfo,
        request=schema.ScheduleCreate,
        status=201,
        errors=(400, 409),  # 409: created under the same name at the same moment
        context=_ROOT,
    ),
    Route(
        "GET",
        "schedules/{name}",
        "getSchedule",
        "One schedule",
        schedules.get_schedule,
        schema.ScheduleInfo,
    ),
    Route(
        "POST",
        "schedules/{name}",
        "updateSchedule",
        "Change a schedule's cron expression, timezone, environment, parameters or coalescing",
        schedules.update,
        schema.ScheduleInfo,
        request=schema.ScheduleUpdate,
        errors=(400, 404),
        context=_ROOT,
    ),
    Route(
        "DELETE",
        "schedules/{name}",
        "removeSchedule",
        "Remove a schedule and its history of ticks (the runs it produced stay)",
        schedules.remove,
        schema.ScheduleRemoved,
    ),
    Route(
        "POST",
        "schedules/{name}/pause",
        "pauseSchedule",
        "Pause a schedule",
        schedules.pause,
        schema.ScheduleInfo,
    ),
    Route(
        "POST",
        "schedules/{name}/resume",
        "resumeSchedule",
        "Resume a paused schedule",
        schedules.resume,
        schema.ScheduleInfo,
    ),
    Route(
        "POST",
        "schedules/{name}/run",
        "runScheduleNow",
        "Run a schedule once now; answers when it ends",
        schedules.run_now,
        schema.ScheduleRunInfo,
        errors=(409,),
        slow=True,
        context=_ROOT,
    ),
    Route(
        "GET",
        "schedules/{name}/history",
        "getScheduleHistory",
        "The ticks of a schedule, newest first",
        schedules.history,
        schema.ScheduleRunList,
        request=schema.ScheduleHistoryQuery,
        errors=(400,),
        context=_ROOT,
    ),
    Route(
        "GET",
        "schedules/{name}/export",
        "exportSchedule",
        "A schedule as a crontab line, a Kubernetes CronJob or a GitHub Actions workflow",
        schedules.export,
        schema.ScheduleExport,
        request=schema.ScheduleExportQuery,
        errors=(400,),
    ),
    # -- monitors
    Route(
        "GET",
        "monitors",
        "listMonitors",
        "Every monitor with its latest verdict (its own decision, by its threshold)",
        monitors.list_monitors,
        schema.MonitorList,
    ),
    Route(
        "GET",
        "monitors/{name}/history",
        "getMonitorHistory",
        "The drift trend of one monitor, each run with the monitor's verdict",
        monitors.monitor_history,
        schema.MonitorHistoryInfo,
        request=schema.MonitorHistoryQuery,
        errors=(400,),
    ),
)
