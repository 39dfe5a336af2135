"""Pipeline runs for the REST API: a page of runs, one run with its steps, start or rerun one."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.pipelines.progress import NullProgress, PipelineStart
from jupyter_mlops.services import schema
from jupyter_mlops.services.paths import in_root, inside_root
from jupyter_mlops.store import Store
from jupyter_mlops.store import pipelines as records

if TYPE_CHECKING:
    from jupyter_mlops.pipelines.runner import PipelineResult


def _summary(r: records.PipelineRunRecord, counts: dict[str, int]) -> schema.PipelineRunSummary:
    return schema.PipelineRunSummary(
        id=r.id,
        name=r.name,
        spec_path=r.spec_path,
        env=r.env,
        status=cast(schema.PipelineRunStatus, r.status),
        run_id=r.run_id,
        trigger=r.trigger,
        started=r.started,
        ended=r.ended,
        error=r.error,
        pipeline_version=r.pipeline_version,
        steps=counts,
    )


def list_runs(store: Store, query: schema.PipelineRunQuery) -> schema.PipelineRunPage:
    """A page of pipeline runs, newest first, and how many there are in all."""
    total, ids = records.page_of_pipeline_runs(
        store, name=query.name, limit=query.limit, offset=query.offset
    )
    counts = records.step_counts(store, ids)
    items = []
    for prun_id in ids:
        record = records.get_pipeline_run(store, prun_id)
        if record is not None:
            items.append(_summary(record, counts[prun_id]))
    return schema.PipelineRunPage(items=items, total=total, limit=query.limit, offset=query.offset)


def get_run(store: Store, pipeline_run_id: str, *, root: Path) -> schema.PipelineRunDetail:
    """One pipeline run with its step runs.

    Raises:
        NotFoundError: no pipeline run has that id.
    """
    record = records.get_pipeline_run(store, pipeline_run_id)
    if record is None:
        raise NotFoundError(f"No pipeline run {pipeline_run_id!r}.")
    steps = records.step_runs(store, pipeline_run_id)
    counts = records.step_counts(store, [pipeline_run_id])[pipeline_run_id]
    return schema.PipelineRunDetail(
        run=_summary(record, counts),
        params=record.params,
        options={k: v for k, v in record.options.items() if k not in ("manifest", "parts")},
        step_runs=[
            schema.StepRunInfo(
                id=s.id,
                step=s.step,
                run_id=s.run_id,
                cache_key=s.cache_key,
                status=cast(schema.StepStatus, s.status),
                attempt=s.attempt,
                started=s.started,
                ended=s.ended,
                output_notebook=s.output_notebook,
                output_notebook_in_root=in_root(root, s.output_notebook),
                outputs=s.outputs,
                error=s.error,
            )
            for s in steps
        ],
    )


class _Started(NullProgress):
    """Tells the waiting request that the run is recorded (the runner calls ``start`` then)."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def start(self, run: PipelineStart) -> None:
        self.event.set()


def start_run(
    store: Store, request: schema.PipelineRunRequest, *, root: Path
) -> tuple[schema.PipelineRunDetail, bool]:
    """Run a pipeline spec inside ``root``; answer when it starts (or ends, with ``wait``).

    The run goes on in a thread of its own after a started answer. Call this from a worker
    thread: it blocks until the run is recorded or, with ``wait``, until it ends.

    Returns:
        The pipeline run and whether it has ended.

    Raises:
        MlopsUsageError: a spec outside the root, a bad spec, environment or parameter.
    """
    from jupyter_mlops.pipelines.runner import run_pipeline
    from jupyter_mlops.pipelines.spec import load

    spec = inside_root(root, request.spec, what="pipeline spec")
    pipeline = load(spec)
    progress = _Started()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = run_pipeline(
                pipeline,
                env=request.env,
                params=list(request.params),
                jobs=request.jobs,
                force=request.force,
                only=request.only,
                from_step=request.from_step,
                resume=request.resume,
                progress=progress,
                trigger="api",
                store=store,
            )
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting request
            outcome["error"] = exc

    thread = threading.Thread(target=work, name=f"mlops-pipeline-{pipeline.name}", daemon=True)
    thread.start()
    if request.wait:
        thread.join()
    else:
        while not progress.event.wait(0.05) and thread.is_alive():
            pass
    error = outcome.get("error")
    if isinstance(error, BaseException) and not progress.event.is_set():
        raise error  # refused before it started: a bad parameter, environment or promotion
    result: PipelineResult | None = outcome.get("result")
    if result is not None:
        prun_id = result.pipeline_run_id
    else:
        found = records.latest_pipeline_run(
            store, pipeline.name, env=request.env, spec_path=str(pipeline.path)
        )
        if found is None:
            raise MlopsUsageError(f"Pipeline {pipeline.name!r} did not start.")
        prun_id = found.id
    return get_run(store, prun_id, root=root), not thread.is_alive()


def rerun(
    store: Store, pipeline_run_id: str, request: schema.PipelineRerunRequest, *, root: Path
) -> tuple[schema.PipelineRunDetail, bool]:
    """Run the spec of an earlier pipeline run again, in the same environment.

    Raises:
        NotFoundError: no pipeline run has that id.
        MlopsUsageError: its spec is no longer inside the root.
    """
    record = records.get_pipeline_run(store, pipeline_run_id)
    if record is None:
        raise NotFoundError(f"No pipeline run {pipeline_run_id!r}.")
    relative = in_root(root, record.spec_path)
    if relative is None:
        raise MlopsUsageError(
            f"The spec {record.spec_path} of pipeline run {pipeline_run_id} is outside the "
            "server's root; run it from the command line."
        )
    return start_run(
        store,
        schema.PipelineRunRequest(
            spec=relative,
            env=record.env,
            params=[],
            force=request.force,
            resume=request.resume,
            only=None,
            from_step=None,
            jobs=1,
            wait=request.wait,
        ),
        root=root,
    )
