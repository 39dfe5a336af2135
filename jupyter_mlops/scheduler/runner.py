"""Execute one claimed tick: run the notebook or pipeline, record it, act on its monitor."""

from __future__ import annotations

import importlib
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from jupyter_mlops.config import load_config
from jupyter_mlops.errors import MlopsError
from jupyter_mlops.pipelines.outputs import runs_folder, schedule_output
from jupyter_mlops.scheduler import claims
from jupyter_mlops.scheduler.cron import tick_label
from jupyter_mlops.scheduler.notebook import run_notebook
from jupyter_mlops.store import Store
from jupyter_mlops.store import tables as t
from jupyter_mlops.tracking.fluent import start_run

if TYPE_CHECKING:
    from jupyter_mlops.scheduler.service import Schedule, ScheduleRun

Clock = Callable[[], float]

SCHEDULE_TAG = "mlops.schedule"


class Abandon(BaseException):
    """Raised into the scheduler's main thread to give up the job it is running."""


def output_path(root: Path, name: str, tick: float) -> Path:
    """Where the executed notebook of one tick is kept."""
    return schedule_output(root, name, tick_label(tick))


def _drifted_columns(store: Store, run_id: str) -> list[str]:
    from jupyter_mlops.store.runs import load_run

    text = load_run(store, run_id).tags.get("drift.drifted_columns", "[]")
    try:
        columns = json.loads(text)
    except ValueError:
        return []
    return [str(c) for c in columns] if isinstance(columns, list) else []


def _act(store: Store, sched: Schedule, run_id: str) -> str | None:
    from jupyter_mlops.monitor.act import act
    from jupyter_mlops.monitor.history import run_metrics

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
        trigger=str(load_config().root / trigger) if trigger else None,
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
    store: Store, sched: Schedule, claim: claims.Claim, timeout: float | None
) -> dict[str, Any]:
    from jupyter_mlops.scheduler.service import resolve_target

    root = load_config().root
    path = resolve_target(sched.target, root)
    if not path.is_file():
        return {"status": "failed", "error": f"the notebook {sched.target!r} is missing"}
    tags = {SCHEDULE_TAG: sched.name, "mlops.schedule.tick": tick_label(claim.tick)}
    if sched.monitor:
        tags["mlops.monitor"] = str(sched.monitor.get("name") or sched.name)
    run = start_run(
        f"{sched.name}-{tick_label(claim.tick)}",
        tags=tags,
        params=sched.params or None,
        notebook=str(path),
        store=store,
    )
    claims.record(store, claim.schedule_run_id, run_id=run.id)
    status: str = "failed"
    error: str | None = "interrupted"
    output = output_path(root, sched.name, claim.tick)
    try:
        runs_folder(root)  # in the try: a folder that cannot be made fails this run, recorded
        result = run_notebook(
            store,
            path,
            output,
            name=sched.name,
            run_id=run.id,
            params=sched.params,
            timeout=timeout,
        )
        status = "finished" if result.ok else "failed"
        error = f"{result.error}; see {output}" if result.error else None
        if output.is_file():
            run.log_artifact(output, f"schedule/{output.name}", kind="notebook")
        if result.ok and sched.monitor:
            error = _act(store, sched, run.id)
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
        claims.record(store, claim.schedule_run_id, ended=time.time(), **values)
        run.end("finished" if status == "finished" else status, error=error)
    return values


def _run_pipeline_target(store: Store, sched: Schedule, claim: claims.Claim) -> dict[str, Any]:
    from jupyter_mlops.scheduler.service import resolve_target

    path = resolve_target(sched.target)
    if not path.is_file():
        return {"status": "failed", "error": f"the pipeline spec {sched.target!r} is missing"}
    try:
        run_pipeline: Any = importlib.import_module("jupyter_mlops.pipelines").run_pipeline
    except (ImportError, AttributeError):
        return {"status": "failed", "error": "the pipelines engine is not installed"}
    try:
        # Pipeline params are step-scoped: -p train.C=0.5
        overrides = [f"{k}={v}" for k, v in sched.params.items()]
        result = run_pipeline(str(path), env=sched.env, params=overrides, trigger="schedule")
    except MlopsError as exc:
        return {"status": "failed", "error": str(exc)}
    pid = getattr(result, "pipeline_run_id", None)
    values: dict[str, Any] = {
        "status": "finished" if getattr(result, "status", "") == "ok" else "failed",
        "pipeline_run_id": pid,
    }
    if pid:
        with store.read() as conn:
            values["run_id"] = conn.execute(
                select(t.pipeline_runs.c.run_id).where(t.pipeline_runs.c.id == pid)
            ).scalar()
    return values


def execute(
    store: Store, claim: claims.Claim, *, now: Clock = time.time, timeout: float | None = None
) -> ScheduleRun:
    """Run the claimed tick to its end and record its status, output and produced run."""
    from jupyter_mlops.scheduler.service import Schedule, get_schedule_run

    with store.read() as conn:
        row = conn.execute(select(t.schedules).where(t.schedules.c.id == claim.schedule_id)).one()
    sched = Schedule.from_row(row)
    try:
        if sched.target_kind == "notebook":
            values = _run_notebook_target(store, sched, claim, timeout)
        else:
            values = _run_pipeline_target(store, sched, claim)
    except Abandon:
        raise
    except Exception as exc:  # noqa: BLE001 - the schedule run is marked failed, never left running
        values = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    values["ended"] = now()
    claims.record(store, claim.schedule_run_id, **values)
    return get_schedule_run(store, claim.schedule_run_id)
