"""Schedules: add, list, pause, resume, remove, run now, history.

The Python API (``jupyter_mlops.scheduler.add(...)``); the services layer
(:mod:`jupyter_mlops.services.schedules`) answers the command line, the magics and the
REST API with these functions, so every face checks a schedule the same way.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlops.errors import ConflictError, MlopsUsageError, NotFoundError
from jupyter_mlops.scheduler import claims
from jupyter_mlops.scheduler.cron import check_cron, check_timezone, next_tick
from jupyter_mlops.scheduler.runner import execute
from jupyter_mlops.scheduler.targets import (
    check_target,
    check_trigger,
    project_file,
    project_root,
    target_path,
)
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import schedules as q
from jupyter_mlops.store.schedules import Schedule, ScheduleRun

if TYPE_CHECKING:
    import pandas as pd

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
Clock = Callable[[], float]

__all__ = ["Schedule", "ScheduleRun"]


def _store(store: Store | None) -> Store:
    return store or current_store()


def check_name(name: str) -> str:
    """Return ``name`` if it can name a schedule (it becomes a folder name)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise MlopsUsageError(
            f"Invalid schedule name {name!r}: use letters, digits, '.', '_' or '-' "
            "(up to 128 characters)."
        )
    return name


def _target(
    notebook: str | None, pipeline: str | None, root: Path, cwd: Path | None
) -> tuple[str, str]:
    if (notebook is None) == (pipeline is None):
        raise MlopsUsageError("Give exactly one of --notebook NOTEBOOK or --pipeline SPEC.")
    kind, given = ("notebook", notebook) if notebook is not None else ("pipeline", pipeline)
    assert given is not None
    return kind, project_file(kind, given, root=root, cwd=cwd)


def make_monitor(
    *,
    name: str,
    webhooks: list[str] | None = None,
    trigger_pipeline: str | None = None,
    trigger_env: str | None = None,
    drift_threshold: float | None = None,
    root: Path,
    cwd: Path | None = None,
) -> dict[str, Any] | None:
    """The ``monitor`` definition stored with a schedule, or None when nothing is asked.

    Raises:
        MlopsUsageError: a bad webhook or threshold, or a trigger pipeline ``run`` refuses.
    """
    if trigger_env is not None and trigger_pipeline is None:
        raise MlopsUsageError("--trigger-env needs --trigger-pipeline SPEC.")
    if not webhooks and trigger_pipeline is None and drift_threshold is None:
        return None
    if drift_threshold is not None and not 0.0 <= drift_threshold <= 1.0:
        raise MlopsUsageError(
            f"--drift-threshold is a share of drifted columns in [0, 1], not {drift_threshold}."
        )
    for url in webhooks or []:
        if not url.startswith(("http://", "https://")):
            raise MlopsUsageError(f"A webhook is an http:// or https:// URL, not {url!r}.")
    monitor: dict[str, Any] = {"name": name, "alert": ["log", *(webhooks or [])]}
    if trigger_pipeline is not None:
        trigger = project_file("pipeline", trigger_pipeline, root=root, cwd=cwd)
        check_trigger(target_path(trigger, root), env=trigger_env)
        monitor["trigger"] = trigger
        monitor["trigger_env"] = trigger_env
    if drift_threshold is not None:
        monitor["drift_threshold"] = drift_threshold
    return monitor


def add(
    name: str,
    *,
    cron: str,
    notebook: str | None = None,
    pipeline: str | None = None,
    timezone: str = "UTC",
    env: str | None = None,
    params: dict[str, Any] | None = None,
    coalesce: bool = True,
    monitor_webhook: str | list[str] | None = None,
    trigger_pipeline: str | None = None,
    trigger_env: str | None = None,
    drift_threshold: float | None = None,
    store: Store | None = None,
    now: Clock = time.time,
    root: Path | None = None,
    cwd: Path | None = None,
) -> Schedule:
    """Add a schedule that runs a notebook or a pipeline on a cron expression.

    The target is checked as ``jupyter-mlops run`` checks it (and again at each tick): a
    file of the project, a spec that loads, a known environment, known parameters of the
    right type. Nothing is written when a check fails.

    Args:
        name: The schedule's name (letters, digits, ``.``, ``_``, ``-``).
        cron: A five-field cron expression such as ``"0 6 * * *"``.
        notebook: The notebook to run (give this or ``pipeline``).
        pipeline: The pipeline spec to run.
        timezone: The IANA timezone the cron expression is read in.
        env: The pipeline environment.
        params: Parameters (``STEP.KEY`` for a pipeline): text is typed by the target
            (``"0.5"`` for ``C = 1.0`` is the float 0.5), other values must have its type.
        coalesce: Run missed ticks once (default) rather than each of them.
        monitor_webhook: URL(s) to POST a drift summary to when drift is found.
        trigger_pipeline: A pipeline spec to run (retrain) when drift is found.
        trigger_env: The environment of the triggered pipeline.
        drift_threshold: Act when the drifted share reaches this, not on the dataset verdict.
        store: The store (default: the project's).
        now: The clock (tests).
        root: The project folder targets must be in (default: the store's project).
        cwd: The folder relative paths start from (default: the working directory).

    Returns:
        The stored schedule.

    Raises:
        MlopsUsageError: for a bad name, cron expression, timezone, target or parameter.
    """
    store = _store(store)
    root = root or project_root(store)
    cwd = cwd or Path.cwd()
    check_name(name)
    cron = check_cron(cron)
    check_timezone(timezone)
    kind, target = _target(notebook, pipeline, root, cwd)
    typed = check_target(kind, target_path(target, root), env=env, params=params or {})
    hooks = [monitor_webhook] if isinstance(monitor_webhook, str) else monitor_webhook
    monitor = make_monitor(
        name=name,
        webhooks=hooks,
        trigger_pipeline=trigger_pipeline,
        trigger_env=trigger_env,
        drift_threshold=drift_threshold,
        root=root,
        cwd=cwd,
    )
    when = now()
    q.insert_schedule(
        store,
        {
            "name": name,
            "target_kind": kind,
            "target": target,
            "cron": cron,
            "timezone": timezone,
            "env": env,
            "params": typed,
            "monitor": monitor,
            "enabled": True,
            "coalesce": coalesce,
            "next_due": next_tick(cron, timezone, when),
            "last_tick": None,
            "created_at": when,
            "updated_at": when,
        },
    )
    return get(name, store=store)


#: An argument of :func:`update` left as it is.
KEEP: Any = object()


def update(
    name: str,
    *,
    cron: str | None = None,
    timezone: str | None = None,
    env: str | None = KEEP,
    params: dict[str, Any] | None = None,
    coalesce: bool | None = None,
    store: Store | None = None,
    now: Clock = time.time,
    root: Path | None = None,
) -> Schedule:
    """Change a schedule's cron expression, timezone, environment, parameters or coalescing.

    What is not given stays. The target is checked again with the new environment and
    parameters (``params`` replaces them all); a new cron expression or timezone moves the
    next tick. Nothing is written when a check fails.

    Raises:
        NotFoundError: no schedule has that name.
        MlopsUsageError: a bad cron expression, timezone, environment or parameter.
    """
    store = _store(store)
    root = root or project_root(store)
    sched = get(name, store=store)
    new_cron = sched.cron if cron is None else check_cron(cron)
    new_zone = sched.timezone if timezone is None else timezone
    check_timezone(new_zone)
    new_env = sched.env if env is KEEP else env
    typed = check_target(
        sched.target_kind,
        target_path(sched.target, root),
        env=new_env,
        params=sched.params if params is None else params,
    )
    values: dict[str, Any] = {
        "cron": new_cron,
        "timezone": new_zone,
        "env": new_env,
        "params": typed,
        "updated_at": now(),
    }
    if coalesce is not None:
        values["coalesce"] = coalesce
    if (new_cron, new_zone) != (sched.cron, sched.timezone):
        values["next_due"] = next_tick(new_cron, new_zone, now())
    q.update_schedule(store, sched.id, **values)
    return get(name, store=store)


def get(name: str, *, store: Store | None = None) -> Schedule:
    """Read one schedule by name.

    Raises:
        NotFoundError: when there is no such schedule.
    """
    store = _store(store)
    found = q.find_schedule(store, name)
    if found is None:
        names = q.schedule_names(store)
        known = f"; schedules: {', '.join(names)}" if names else "; there are none yet"
        raise NotFoundError(f"No schedule named {name!r}{known}.")
    return found


def list_schedules(*, store: Store | None = None) -> list[Schedule]:
    """Every schedule, by name."""
    return q.all_schedules(_store(store))


def _set_enabled(name: str, enabled: bool, store: Store | None, now: Clock) -> Schedule:
    store = _store(store)
    sched = get(name, store=store)
    values: dict[str, Any] = {"enabled": enabled, "updated_at": now()}
    if enabled and not sched.enabled:
        # Resuming does not catch up on the ticks that passed while paused.
        values["next_due"] = next_tick(sched.cron, sched.timezone, now())
    q.update_schedule(store, sched.id, **values)
    return get(name, store=store)


def pause(name: str, *, store: Store | None = None, now: Clock = time.time) -> Schedule:
    """Stop a schedule from running until :func:`resume` (a running tick finishes)."""
    return _set_enabled(name, False, store, now)


def resume(name: str, *, store: Store | None = None, now: Clock = time.time) -> Schedule:
    """Let a paused schedule run again, from its next tick after now."""
    return _set_enabled(name, True, store, now)


def remove(name: str, *, store: Store | None = None) -> int:
    """Delete a schedule and its run history (the runs it produced stay).

    Returns:
        How many of its ticks were forgotten.
    """
    store = _store(store)
    return q.delete_schedule(store, get(name, store=store).id)


def run_now(
    name: str, *, store: Store | None = None, now: Clock = time.time, timeout: float | None = None
) -> ScheduleRun:
    """Run a schedule once, here and now, whatever its cron says; wait for the result.

    Raises:
        ConflictError: when the schedule is running already.
    """
    store = _store(store)
    sched = get(name, store=store)
    claim = q.claim_now(store, sched.id, now(), owner=claims.owner())
    if claim is None:
        raise ConflictError(f"Schedule {name!r} is running already; try again when it ends.")
    return execute(store, claim, now=now, timeout=timeout)


def runs(name: str, *, limit: int | None = 100, store: Store | None = None) -> list[ScheduleRun]:
    """The runs of schedule ``name``, newest tick first."""
    store = _store(store)
    return q.schedule_runs(store, get(name, store=store), limit=limit)


def history(name: str, *, limit: int | None = 100, store: Store | None = None) -> pd.DataFrame:
    """The runs of schedule ``name`` as a table, newest first."""
    import pandas as pd  # Imported here: a DataFrame only for who asks for one.

    rows = runs(name, limit=limit, store=store)
    columns = [
        "tick",
        "status",
        "started",
        "ended",
        "run_id",
        "pipeline_run_id",
        "output_notebook",
        "error",
    ]
    frame = pd.DataFrame([{c: getattr(r, c) for c in columns} for r in rows], columns=columns)
    for col in ("tick", "started", "ended"):
        frame[col] = pd.to_datetime(frame[col], unit="s", utc=True)
    return frame
