"""Pipelines on every face: what a run would do (status), run one, accept a step's outputs,
a page of runs, one run with its steps, rerun one, cancel one; the specs of the project and
a step's notebook so far (its live log, its failing cell).

Paths: the command line and the magics name a spec relative to their working folder
(``cwd``); over REST a spec must lie inside the server's root (no ``cwd``). A refusal names
files relative to that folder, as the client named them (never the server's layout). A ``.ipynb``
runs as a one-step pipeline (always run, never cached), ``-p KEY=VALUE`` setting its
parameters.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.pipelines import cancel as kernels
from jupyter_mlops.pipelines.discover import spec_files
from jupyter_mlops.pipelines.keys import accept as accept_outputs
from jupyter_mlops.pipelines.keys import plan
from jupyter_mlops.pipelines.notebook import notebook_pipeline, step_overrides
from jupyter_mlops.pipelines.params import notebook_parameters, read_notebook
from jupyter_mlops.pipelines.progress import NullProgress, PipelineStart, Progress
from jupyter_mlops.pipelines.runner import run_pipeline
from jupyter_mlops.pipelines.spec import load
from jupyter_mlops.pipelines.steps import StepOutcome
from jupyter_mlops.services import schema
from jupyter_mlops.services.paths import as_given, in_root, inside_root, paths_as_given
from jupyter_mlops.store import Store
from jupyter_mlops.store import pipelines as records

if TYPE_CHECKING:
    from jupyter_mlops.pipelines.runner import PipelineResult
    from jupyter_mlops.pipelines.spec import Pipeline


def _plural(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def summary_text(counts: Mapping[str, int]) -> str:
    """What ran and what did not: ``4 steps cached, 0 ran``, ``1 step cached, 2 ran, 1 failed``.

    ``ran`` counts the steps that ran (succeeded or failed); skipped and cancelled steps and
    steps still to go are named when there are any.
    """
    get = counts.get
    ran = get("ok", 0) + get("failed", 0)
    words = [f"{_plural(get('cached', 0), 'step')} cached", f"{ran} ran"]
    if get("failed", 0):
        words.append(f"{get('failed', 0)} failed")
    if get("skipped", 0):
        words.append(f"{get('skipped', 0)} skipped")
    if get("cancelled", 0):
        words.append(f"{get('cancelled', 0)} cancelled")
    going = get("queued", 0) + get("running", 0)
    if going:
        words.append(f"{going} to go")
    return ", ".join(words)


def _target(spec: str, *, root: Path, cwd: Path | None) -> Path:
    """The spec's path: relative to ``cwd``, or (over REST, no ``cwd``) inside ``root``."""
    if cwd is None:
        return inside_root(root, spec, what="pipeline spec")
    return cwd / spec


def _load(
    spec: str, params: list[str], *, root: Path, cwd: Path | None
) -> tuple[Pipeline, list[str], bool]:
    """The pipeline of ``spec``, its ``STEP.KEY=VALUE`` overrides, and whether it always runs.

    Raises:
        MlopsUsageError: neither a notebook nor a pipeline .yaml; a bad spec.
    """
    path = _target(spec, root=root, cwd=cwd)
    if path.suffix == ".ipynb":
        pipeline = notebook_pipeline(path)
        return pipeline, step_overrides(pipeline, params), True
    if path.suffix in (".yaml", ".yml"):
        return load(path), list(params), False
    raise MlopsUsageError(f"{spec!r}: give a notebook (.ipynb) or a pipeline (.yaml).")


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
        summary=summary_text(counts),
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
                reason=_reason(s),
            )
            for s in steps
        ],
    )


def _reason(step: records.StepRunRecord) -> str:
    """One line: why a step was cached or skipped, or where and why it failed."""
    error = step.error or {}
    if step.status != "failed":
        return str(error.get("note") or "")
    outcome = StepOutcome(
        step.step, step.status, output_notebook=step.output_notebook, error=step.error
    )
    return outcome.error_line()


def latest(
    store: Store, name: str, *, root: Path, env: str | None = None
) -> schema.PipelineRunDetail:
    """The newest run of pipeline ``name`` (in ``env``) with its steps.

    Raises:
        NotFoundError: the pipeline never ran in this store.
    """
    found = records.latest_pipeline_run(store, name, env=env)
    if found is None:
        raise NotFoundError(f"Pipeline {name!r} has not run here yet: %mlops pipeline run SPEC.")
    return get_run(store, found.id, root=root)


def status(
    store: Store, query: schema.PipelineStatusQuery, *, root: Path, cwd: Path | None = None
) -> schema.PipelineStatus:
    """What ``run`` would do with each step of the spec, and why; nothing runs.

    Raises:
        MlopsUsageError: a bad spec, environment, parameter or step name.
    """
    with paths_as_given(cwd or root):
        pipeline, params, always = _load(query.spec, query.params, root=root, cwd=cwd)
        _resolved, plans = plan(
            pipeline,
            env=query.env,
            params=params,
            force=query.force or always,
            only=query.only,
            from_step=query.from_step,
            store=store,
        )
    would = sum(p.action == "run" for p in plans.values())
    return schema.PipelineStatus(
        name=pipeline.name,
        env=query.env,
        steps=[
            schema.StepPlanInfo(
                step=p.step, action=cast(schema.StepAction, p.action), reason=p.reason, key=p.key
            )
            for p in plans.values()
        ],
        would_run=would,
        summary=f"{would} of {len(plans)} step(s) would run.",
    )


def run(
    store: Store,
    request: schema.PipelineRunRequest,
    *,
    root: Path,
    cwd: Path | None = None,
    progress: Progress | None = None,
    executor: str = "local",
    trigger: str = "manual",
    junit: str | None = None,
    output: str | None = None,
) -> schema.PipelineRunDetail:
    """Run a pipeline (or a notebook) here and now, and answer when it has ended.

    Args:
        progress: where to show progress as it goes (default: nowhere).
        executor: ``local`` or ``dask://HOST:PORT``.
        trigger: what started the run (``cli``, ``notebook``...).
        junit: write a JUnit XML report of the run here.
        output: copy the executed notebook of a one-notebook run here.

    Raises:
        MlopsUsageError: a bad spec, environment, parameter or option.
        PipelineRefused: a promotion target asked to run an unpromoted version.
    """
    with paths_as_given(cwd or root):
        pipeline, params, always = _load(request.spec, request.params, root=root, cwd=cwd)
        result = run_pipeline(
            pipeline,
            env=request.env,
            params=params,
            jobs=request.jobs,
            executor=executor,
            force=request.force or always,
            only=request.only,
            from_step=request.from_step,
            resume=request.resume,
            progress=progress or NullProgress(),
            trigger=trigger,
            store=store,
        )
    if junit:
        # start-up: xml.etree (~7 ms) only for --junit, not for every pipelines import.
        from jupyter_mlops.pipelines.junit import write_junit

        write_junit(result, junit)
    if output:
        _keep_notebook(result, Path(output) if cwd is None else cwd / output)
    return get_run(store, result.pipeline_run_id, root=root)


def _keep_notebook(result: PipelineResult, dest: Path) -> None:
    outcome = next(iter(result.steps.values()))
    if outcome.output_notebook and Path(outcome.output_notebook).is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(outcome.output_notebook, dest)


def accept(
    store: Store, request: schema.PipelineAcceptRequest, *, root: Path, cwd: Path | None = None
) -> schema.PipelineRunDetail:
    """Take the current outputs of a step as up to date: the next run caches it.

    Returns:
        The pipeline run (trigger ``accept``) that records it.

    Raises:
        MlopsUsageError: no such step, or a declared output is missing.
    """
    with paths_as_given(cwd or root):
        pipeline, params, _always = _load(request.spec, request.params, root=root, cwd=cwd)
        prun_id = accept_outputs(
            pipeline, request.step, env=request.env, params=params, store=store
        )
    return get_run(store, prun_id, root=root)


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
    with paths_as_given(root):
        pipeline, params, always = _load(request.spec, request.params, root=root, cwd=None)
    progress = _Started()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = run_pipeline(
                pipeline,
                env=request.env,
                params=params,
                jobs=request.jobs,
                force=request.force or always,
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
        # Refused before it started: a bad parameter, environment or promotion.
        with paths_as_given(root):
            raise error
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
        # Its recorded path is the server's layout: the file's name says which spec it is.
        raise MlopsUsageError(
            f"The spec {Path(record.spec_path).name!r} of pipeline run {pipeline_run_id} is "
            "outside the server's root; run it from the command line."
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


def cancel(store: Store, pipeline_run_id: str, *, root: Path) -> schema.PipelineRunDetail:
    """Cancel a running pipeline run (its id or a unique prefix of 4+ characters): its kernels
    are killed, it and its unfinished steps end ``cancelled`` (a run in another process sees
    it within half a second).

    Raises:
        NotFoundError: no pipeline run has that id.
        ConflictError: the run has ended already.
    """
    return get_run(store, kernels.cancel_run(pipeline_run_id, store=store), root=root)


def specs(store: Store, query: schema.PipelineSpecQuery, *, root: Path) -> schema.PipelineSpecList:
    """The pipeline specs under ``root`` with their environments, steps and parameters."""
    base = root.resolve()
    return schema.PipelineSpecList(
        items=[_spec_info(base, path) for path in spec_files(base, limit=query.limit)]
    )


def _spec_info(base: Path, path: Path) -> schema.PipelineSpecInfo:
    relative = path.relative_to(base).as_posix()
    try:
        pipeline = load(path)
        steps = [
            schema.SpecStepInfo(
                name=step.name,
                notebook=in_root(base, str(step.notebook)) or str(step.notebook),
                needs=list(step.needs),
                params=(params := {**_defaults(step.notebook), **step.params}),
                param_types={k: _type_name(v) for k, v in params.items()},
            )
            for step in pipeline.steps.values()
        ]
    except MlopsUsageError as exc:
        return schema.PipelineSpecInfo(
            path=relative, name=path.stem, description="", environments=[], steps=[],
            error=as_given(base, str(exc)),
        )  # fmt: skip
    return schema.PipelineSpecInfo(
        path=relative,
        name=pipeline.name,
        description=pipeline.description,
        environments=sorted(pipeline.environments),
        steps=steps,
        error=None,
    )


def _type_name(value: Any) -> str:
    kinds = (bool, int, float, str, list, dict)  # bool first: it is an int too
    return next((k.__name__ for k in kinds if isinstance(value, k)), "any")


def _defaults(notebook: Path) -> dict[str, Any]:
    try:
        return notebook_parameters(notebook)
    except (OSError, MlopsUsageError):
        return {}  # a missing or broken notebook: the spec's own params still show


#: The end of a cell's text output the live log shows.
LOG_CHARS = 20_000


def step_log(store: Store, pipeline_run_id: str, step: str, *, root: Path) -> schema.StepLog:
    """A step's executed notebook so far: its cells with their output, and the failing cell.

    While the step runs the notebook is saved about every second, so polling this shows its
    output live.

    Raises:
        NotFoundError: no such pipeline run, or no such step in it.
    """
    record = records.get_pipeline_run(store, pipeline_run_id)
    if record is None:
        raise NotFoundError(f"No pipeline run {pipeline_run_id!r}.")
    found = [s for s in records.step_runs(store, record.id) if s.step == step]
    if not found:
        names = ", ".join(s.step for s in records.step_runs(store, record.id))
        raise NotFoundError(f"Pipeline run {record.id[:8]} has no step {step!r}; steps: {names}.")
    step_run = found[-1]
    cells = _log_cells(step_run.output_notebook, step_run.status)
    return schema.StepLog(
        pipeline_run_id=record.id,
        step=step,
        status=cast(schema.StepStatus, step_run.status),
        attempt=step_run.attempt,
        notebook_in_root=in_root(root, step_run.output_notebook),
        cells=cells,
        failure=_failure(step_run, cells),
    )


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _cell_output(cell: dict[str, Any]) -> str:
    parts: list[str] = []
    for out in cell.get("outputs") or []:
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(_text(out.get("text")))
        elif kind in ("execute_result", "display_data"):
            plain = (out.get("data") or {}).get("text/plain")
            if plain is not None:
                parts.append(_text(plain) + "\n")
    return "".join(parts)[-LOG_CHARS:]


def _log_cells(notebook: str | None, step_status: str) -> list[schema.LogCell]:
    if not notebook or not Path(notebook).is_file():
        return []
    try:
        data = read_notebook(Path(notebook))
    except MlopsUsageError:
        return []  # caught mid-write: the next poll reads it whole
    cells: list[schema.LogCell] = []
    code = [c for c in data["cells"] if c.get("cell_type") == "code"]
    for index, cell in enumerate(code):
        meta = (cell.get("metadata") or {}).get("papermill") or {}
        state = str(meta.get("status") or "pending")
        if meta.get("exception"):
            state = "failed"
        elif state == "completed":
            state = "ok"
        elif state == "running" and step_status not in ("running", "queued"):
            state = "failed"  # killed while it ran
        elif state not in ("running", "pending"):
            state = "pending"
        cells.append(
            schema.LogCell(
                index=index,
                source=_text(cell.get("source")),
                status=cast(Any, state),
                output=_cell_output(cell),
            )
        )
    return cells


def _failure(step: records.StepRunRecord, cells: list[schema.LogCell]) -> schema.StepFailure | None:
    if step.status not in ("failed", "cancelled") or not step.error:
        return None
    error = step.error
    if "ename" not in error and "message" not in error:
        return None  # a note (cancelled before it ran), not an error
    index = error.get("cell_index")
    if index is None:
        index = next((c.index for c in cells if c.status == "failed"), None)
    source = cells[index].source if index is not None and index < len(cells) else ""
    return schema.StepFailure(
        cell_index=index,
        source=source,
        ename=str(error.get("ename") or ""),
        evalue=str(error.get("evalue") or error.get("message") or ""),
        traceback=str(error.get("traceback") or "")[-LOG_CHARS:],
    )
