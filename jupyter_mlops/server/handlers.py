"""The API's handlers: parse into a wire model, call a service in a worker thread, reply.

URL patterns live in :mod:`jupyter_mlops.server.extension` only.
"""

from __future__ import annotations

import re

import tornado.web
from jupyter_server.auth.decorator import authorized

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.server.base import MlopsHandler, operation
from jupyter_mlops.services import artifacts, datasets, models, monitors, pipelines, runs, schema
from jupyter_mlops.services import schedules as sched
from jupyter_mlops.services.status import status

_GET = (401, 403)
_POST = (400, 401, 403)
_WHOLE = re.compile(r"[0-9]{1,9}")  # at most schema.MAX_WHOLE


def _number(text: str, what: str = "A version") -> int:
    """A path or query value that must be a whole number from 1."""
    if not _WHOLE.fullmatch(text) or int(text) < 1:
        raise MlopsUsageError(f"{what} is a whole number from 1, not {text!r}.")
    return int(text)


class StatusHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("Health of the API and its store", response=schema.Status, errors=_GET)
    async def get(self) -> None:
        running = self.api.scheduler_running
        root = self.api.root
        self.reply(await self.call(status, root=root, scheduler_running=running))


class OpenAPIHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("This API's OpenAPI document", response=None, errors=_GET, store=False)
    async def get(self) -> None:
        from jupyter_mlops.server.openapi import openapi_document

        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(openapi_document())


# -- runs -----------------------------------------------------------------------------------


class RunsHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation(
        "Search runs with the filter language, a page at a time",
        query=schema.RunQuery,
        response=schema.RunPage,
        errors=(400, 401, 403, 404),
    )
    async def get(self) -> None:
        query = self.query_model(schema.RunQuery)
        self.reply(await self.call(runs.search_page, query))


class RunHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("One run with everything stored about it", response=schema.RunDetail, errors=_GET)
    async def get(self, run_id: str) -> None:
        self.reply(await self.call(runs.run_detail, run_id, root=self.api.root))


class MetricHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("Every logged point of one metric of a run", response=schema.MetricHistory)
    async def get(self, run_id: str, key: str) -> None:
        self.reply(await self.call(runs.metric_points, run_id, key))


class ArtifactHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation(
        "Download an object of the artifact store by its digest",
        response=None,
        errors=(400, 401, 403, 404),
        media_type="application/octet-stream",
    )
    async def get(self, digest: str) -> None:
        filename = self.get_query_argument("filename", None)
        found = await self.call(artifacts.prepare_download, digest, filename=filename)
        # Nothing the store holds may act as a page on the Jupyter origin.
        self.set_header("Content-Type", found.media_type)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "sandbox; default-src 'none'")
        disposition = "inline" if found.inline else "attachment"
        quoted = tornado.escape.url_escape(found.filename, plus=False)
        self.set_header("Content-Disposition", f"{disposition}; filename*=UTF-8''{quoted}")
        if found.size <= artifacts.WHOLE:
            # Read and verify the whole object before the first byte goes out.
            data = await self.call(artifacts.read_whole, found)
            self.set_header("Content-Length", str(len(data)))
            self.finish(data)
            return
        self.set_header("Content-Length", str(found.size))
        stream = await self.call(found.open)
        try:
            while chunk := await self.call(lambda _s: stream.read(1024 * 1024)):
                self.write(chunk)
                await self.flush()
        finally:
            stream.close()
        self.finish()


# -- datasets -------------------------------------------------------------------------------


class DatasetsHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("Every dataset with its latest version", response=schema.DatasetList, errors=_GET)
    async def get(self) -> None:
        self.reply(await self.call(datasets.list_datasets))


class DatasetHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("The versions of one dataset", response=schema.DatasetVersionList, errors=_GET)
    async def get(self, name: str) -> None:
        self.reply(await self.call(datasets.list_versions, name))


class DatasetVersionHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("One version of a dataset", response=schema.DatasetVersionInfo, errors=_GET)
    async def get(self, name: str, version: str) -> None:
        self.reply(await self.call(datasets.get_version, name, _number(version)))


# -- models ---------------------------------------------------------------------------------


class ModelsHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("Every registered model and its stages", response=schema.ModelList, errors=_GET)
    async def get(self) -> None:
        self.reply(await self.call(models.list_models))


class ModelHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("The versions of one model", response=schema.ModelVersionList, errors=_GET)
    async def get(self, name: str) -> None:
        self.reply(await self.call(models.list_versions, name))


class ModelVersionHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("One version of a model", response=schema.ModelVersionInfo, errors=_GET)
    async def get(self, name: str, version: str) -> None:
        self.reply(await self.call(models.get_version, name, _number(version)))


class StagesHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("The stages of a model and who holds them", response=schema.StageList, errors=_GET)
    async def get(self, name: str) -> None:
        self.reply(await self.call(models.stages, name))


class PromoteHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation(
        "Promote a version to a stage behind checks (dry_run: only evaluate them)",
        body=schema.PromoteRequest,
        response=schema.PromotionResult,
        errors=(400, 401, 403, 404, 409, 422),
    )
    async def post(self, name: str) -> None:
        request = self.body_model(schema.PromoteRequest)
        slow = request.validate_notebook is not None
        self.reply(await self.call(models.promote, name, request, root=self.api.root, slow=slow))


class PromotionsHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("The promotion audit trail of a model", response=schema.PromotionHistory)
    async def get(self, name: str) -> None:
        self.reply(await self.call(models.promotions, name))


# -- pipelines ------------------------------------------------------------------------------


class PipelineRunsHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation(
        "Pipeline runs, newest first",
        query=schema.PipelineRunQuery,
        response=schema.PipelineRunPage,
        errors=(400, 401, 403),
    )
    async def get(self) -> None:
        query = self.query_model(schema.PipelineRunQuery)
        self.reply(await self.call(pipelines.list_runs, query))

    @tornado.web.authenticated
    @authorized
    @operation(
        "Run a pipeline spec inside the server's root (202 when started, 200 when waited for)",
        body=schema.PipelineRunRequest,
        response=schema.PipelineRunDetail,
        status=202,
        errors=_POST,
    )
    async def post(self) -> None:
        request = self.body_model(schema.PipelineRunRequest)
        detail, ended = await self.call(pipelines.start_run, request, root=self.api.root, slow=True)
        self.reply(detail, 200 if ended else 202)


class PipelineRunHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("One pipeline run with its steps", response=schema.PipelineRunDetail, errors=_GET)
    async def get(self, run_id: str) -> None:
        self.reply(await self.call(pipelines.get_run, run_id, root=self.api.root))


class PipelineRerunHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation(
        "Run a pipeline run's spec again in its environment",
        body=schema.PipelineRerunRequest,
        response=schema.PipelineRunDetail,
        status=202,
        errors=(400, 401, 403, 404),
    )
    async def post(self, run_id: str) -> None:
        request = self.body_model(schema.PipelineRerunRequest)
        detail, ended = await self.call(
            pipelines.rerun, run_id, request, root=self.api.root, slow=True
        )
        self.reply(detail, 200 if ended else 202)


# -- schedules ------------------------------------------------------------------------------


class SchedulesHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("Every schedule", response=schema.ScheduleList, errors=_GET)
    async def get(self) -> None:
        self.reply(await self.call(sched.list_schedules))

    @tornado.web.authenticated
    @authorized
    @operation(
        "Add a schedule of a notebook or pipeline inside the server's root",
        body=schema.ScheduleCreate,
        response=schema.ScheduleInfo,
        status=201,
        errors=(*_POST, 409),  # 409: created under the same name at the same moment
    )
    async def post(self) -> None:
        request = self.body_model(schema.ScheduleCreate)
        self.reply(await self.call(sched.create, request, root=self.api.root), 201)


class ScheduleHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("One schedule", response=schema.ScheduleInfo, errors=_GET)
    async def get(self, name: str) -> None:
        self.reply(await self.call(sched.get_schedule, name))


class SchedulePauseHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("Pause a schedule", response=schema.ScheduleInfo, errors=(401, 403, 404))
    async def post(self, name: str) -> None:
        self.reply(await self.call(sched.pause, name))


class ScheduleResumeHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("Resume a paused schedule", response=schema.ScheduleInfo, errors=(401, 403, 404))
    async def post(self, name: str) -> None:
        self.reply(await self.call(sched.resume, name))


class ScheduleRunNowHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation(
        "Run a schedule once now; answers when it ends",
        response=schema.ScheduleRunInfo,
        errors=(401, 403, 404, 409),
    )
    async def post(self, name: str) -> None:
        self.reply(await self.call(sched.run_now, name, root=self.api.root, slow=True))


class ScheduleHistoryHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("The ticks of a schedule, newest first", response=schema.ScheduleRunList)
    async def get(self, name: str) -> None:
        limit = _number(self.get_query_argument("limit", "100"), "limit")
        self.reply(await self.call(sched.history, name, limit=limit, root=self.api.root))


# -- monitors -------------------------------------------------------------------------------


class MonitorsHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("Every monitor with its latest drift verdict", response=schema.MonitorList)
    async def get(self) -> None:
        self.reply(await self.call(monitors.list_monitors))


class MonitorHistoryHandler(MlopsHandler):
    @tornado.web.authenticated
    @authorized
    @operation("The drift trend of one monitor", response=schema.MonitorHistoryInfo)
    async def get(self, name: str) -> None:
        self.reply(await self.call(monitors.monitor_history, name))
