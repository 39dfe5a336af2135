"""Execute one claimed tick: run the notebook or pipeline, record it, act on its monitor."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyter_mlops.errors import MlopsError, MlopsUsageError
from jupyter_mlops.pipelines.outputs import runs_folder, schedule_output
from jupyter_mlops.pipelines.runner import run_pipeline
from jupyter_mlops.scheduler.cron import tick_label
from jupyter_mlops.scheduler.notebook import run_notebook
from jupyter_mlops.scheduler.targets import Checked, project_root, recheck, target_path
from jupyter_mlops.store import Store
from jupyter_mlops.store import schedules as q
from jupyter_mlops.store.monitors import run_metrics
from jupyter_mlops.store.runs import load_run
from jupyter_mlops.store.schedules import Claim, Schedule, ScheduleRun
from jupyter_mlops.tracking.fluent import start_run

Clock = Callable[[], float]

SCHEDULE_TAG = "mlops.schedule"


class Abandon(BaseException):
    """Raised into the scheduler's main thread to give up the job it is running."""


def output_path(root: Path, name: str, tick: float) -> Path:
    """Where the executed notebook of one tick is kept."""
    return schedule_output(root, name, tick_label(tick))


def _drifted_columns(store: Store, run_id: str) -> list[str]:
    text = load_run(store, run_id).tags.get("drift.drifted_columns", "[]")
    try:
        columns = json.loads(text)
    except ValueError:
        return []
    return [str(c) for c in columns] if isinstance(columns, list) else []


def _act(store: Store, sched: Schedule, run_id: str, root: Path) -> str | None:
    # Imported here: the monitor package loads pandas and scipy, which only monitors need.
    from jupyter_mlops.monitor.act import act

    monitor = sched.monitor or {}
    metrics = run_metrics(store, run_id)
    if "drift.dataset_drift" not in metrics and "drift.share" not in metrics:
        return "monitor: the notebook logged no drift.dataset_drift or drift.share metric"
    share = metrics.get("drift.share")
    report = {
        "dataset_drift": bool(metrics.get("drift.dataset_drift", 0.0)),
        "share": None if share is None or math.isnan(share) else share,
        "drifted_columns": _drifted_columns(store, run_id),
    }
    trigger = monitor.get("trigger")
    result = act(
        report,
        name=str(monitor.get("name") or sched.name),
        alert=list(monitor.get("alert") or ["log"]),
        trigger=str(target_path(trigger, root)) if trigger else None,
        trigger_env=monitor.get("trigger_env"),
        threshold=monitor.get("drift_threshold"),
        run=run_id,
        store=store,
    )
    if result.ok:
        return None
    failed = [f"{a.target}: {a.detail}" for a in result.alerts if not a.ok]
    if result.trigger_error:
        failed.append(f"trigger: {result.trigger_error}")
    return "monitor: " + "; ".join(failed)


def _run_notebook_target(
    store: Store, sched: Schedule, claim: Claim, checked: Checked, root: Path, timeout: float | None
) -> dict[str, Any]:
    path = checked.path
    tags = {SCHEDULE_TAG: sched.name, "mlops.schedule.tick": tick_label(claim.tick)}
    if sched.monitor:
        tags["mlops.monitor"] = str(sched.monitor.get("name") or sched.name)
    output = output_path(root, sched.name, claim.tick)
    run = start_run(
        f"{sched.name}-{tick_label(claim.tick)}",
        # The source notebook's, as a run of it in Jupyter gets: by default an experiment is
        # named after the run's notebook, here the tick's output named after the tick.
        experiment=checked.path.stem,
        tags=tags,
        params=checked.params or None,
        # The run links the executed notebook of this tick, not the unexecuted source.
        notebook=str(output),
        store=store,
    )
    q.record(store, claim.schedule_run_id, run_id=run.id)
    status: str = "failed"
    error: str | None = "interrupted"
    try:
        runs_folder(root)  # in the try: a folder that cannot be made fails this run, recorded
        result = run_notebook(
            store,
            path,
            output,
            name=sched.name,
            run_id=run.id,
            params=checked.params,
            timeout=timeout,
        )
        status = "finished" if result.ok else "failed"
        error = f"{result.error}; see {output}" if result.error else None
        if output.is_file():
            run.log_artifact(output, f"schedule/{output.name}", kind="notebook")
        if result.ok and sched.monitor:
            error = _act(store, sched, run.id, root)
    except Abandon:
        status, error = "killed", "abandoned: the scheduler was stopped during the run"
        raise
    finally:
        values = {
            "status": status,
            "error": error,
            "output_notebook": str(output) if output.is_file() else None,
        }
        # Record before ending the run: a run that ended while its schedule run still says
        # running looks abandoned to another scheduler's reaper.
        q.record(store, claim.schedule_run_id, ended=time.time(), **values)
        run.end("finished" if status == "finished" else status, error=error)
    return values


def _run_pipeline_target(checked: Checked, sched: Schedule) -> dict[str, Any]:
    try:
        # The command line `schedule export` writes: -p train.C=0.5
        overrides = [f"{key}={text}" for key, text in checked.texts.items()]
        result = run_pipeline(checked.path, env=sched.env, params=overrides, trigger="schedule")
    except MlopsError as exc:
        return {"status": "failed", "error": str(exc)}
    return {
        "status": "finished" if getattr(result, "status", "") == "ok" else "failed",
        "pipeline_run_id": getattr(result, "pipeline_run_id", None),
        "run_id": getattr(result, "run_id", None),
    }


def _run(store: Store, sched: Schedule, claim: Claim, timeout: float | None) -> dict[str, Any]:
    root = project_root(store)
    if not target_path(sched.target, root).is_file():
        what = "notebook" if sched.target_kind == "notebook" else "pipeline spec"
        return {"status": "failed", "error": f"the {what} {sched.target!r} is missing"}
    try:
        # The files may have changed since the schedule was added: check them as run does.
        checked = recheck(sched, root)
    except MlopsUsageError as exc:
        return {"status": "failed", "error": f"not run: {exc}"}
    if sched.target_kind == "notebook":
        return _run_notebook_target(store, sched, claim, checked, root, timeout)
    return _run_pipeline_target(checked, sched)


def execute(
    store: Store, claim: Claim, *, now: Clock = time.time, timeout: float | None = None
) -> ScheduleRun:
    """Run the claimed tick to its end and record its status, output and produced run.

    The target is checked again first (``run``'s checks: the files may have changed since
    the schedule was added); a tick whose target fails them fails with the reason.
    """
    sched = q.schedule_by_id(store, claim.schedule_id)
    try:
        values = _run(store, sched, claim, timeout)
    except Abandon:
        raise
    except Exception as exc:  # noqa: BLE001 - the schedule run is marked failed, never left running
        values = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    values["ended"] = now()
    q.record(store, claim.schedule_run_id, **values)
    return q.schedule_run(store, claim.schedule_run_id)
