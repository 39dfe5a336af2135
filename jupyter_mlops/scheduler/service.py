"""Schedules: add, list, pause, resume, remove, run now, history.

The CLI (``jupyter-mlops schedule``), the magic (``%mlops schedule``) and the Python API
(``jupyter_mlops.scheduler.add(...)``) all call these functions.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from jupyter_mlops.config import load_config
from jupyter_mlops.errors import ConflictError, MlopsUsageError, NotFoundError
from jupyter_mlops.scheduler import claims
from jupyter_mlops.scheduler.cron import check_cron, check_timezone, next_tick
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.order import code_point

if TYPE_CHECKING:
    import pandas as pd

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
Clock = Callable[[], float]


@dataclass(frozen=True)
class Schedule:
    """One schedule as stored."""

    id: int
    name: str
    target_kind: str  # notebook | pipeline
    target: str
    cron: str
    timezone: str
    env: str | None
    params: dict[str, Any]
    monitor: dict[str, Any] | None
    enabled: bool
    coalesce: bool
    next_due: float | None
    last_tick: float | None

    @classmethod
    def from_row(cls, row: Any) -> Schedule:
        return cls(
            id=int(row.id),
            name=row.name,
            target_kind=row.target_kind,
            target=row.target,
            cron=row.cron,
            timezone=row.timezone,
            env=row.env,
            params=json.loads(row.params) if row.params else {},
            monitor=json.loads(row.monitor) if row.monitor else None,
            enabled=bool(row.enabled),
            coalesce=bool(row.coalesce),
            next_due=row.next_due,
            last_tick=row.last_tick,
        )


@dataclass(frozen=True)
class ScheduleRun:
    """One tick of a schedule: what ran, how it ended and what it produced."""

    id: int
    schedule: str
    tick: float
    status: str  # running | finished | failed | skipped | killed
    started: float | None
    ended: float | None
    run_id: str | None
    pipeline_run_id: str | None
    output_notebook: str | None
    error: str | None
    actions: dict[str, Any] = field(default_factory=dict, compare=False)


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


def _target(notebook: str | None, pipeline: str | None, root: Path) -> tuple[str, str]:
    if (notebook is None) == (pipeline is None):
        raise MlopsUsageError("Give exactly one of --notebook NOTEBOOK or --pipeline SPEC.")
    kind, given = ("notebook", notebook) if notebook is not None else ("pipeline", pipeline)
    assert given is not None
    return kind, check_file(kind, given, root)


def check_file(kind: str, given: str, root: Path) -> str:
    """Check that the notebook or pipeline spec exists; return it relative to ``root``."""
    path = Path(given).expanduser()
    full = path if path.is_absolute() else Path.cwd() / path
    if not full.is_file():
        raise MlopsUsageError(f"No {kind} file {given!r}; check the path.")
    full = full.resolve()
    try:
        return full.relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(full)


def resolve_target(target: str, root: Path | None = None) -> Path:
    """The file of a stored target (stored relative to the project root when inside it)."""
    path = Path(target)
    return path if path.is_absolute() else (root or load_config().root) / path


def make_monitor(
    *,
    name: str,
    webhooks: list[str] | None = None,
    trigger_pipeline: str | None = None,
    trigger_env: str | None = None,
    drift_threshold: float | None = None,
) -> dict[str, Any] | None:
    """The ``monitor`` definition stored with a schedule, or None when nothing is asked."""
    if not webhooks and trigger_pipeline is None and drift_threshold is None:
        return None
    if trigger_env is not None and trigger_pipeline is None:
        raise MlopsUsageError("--trigger-env needs --trigger-pipeline SPEC.")
    if drift_threshold is not None and not 0.0 <= drift_threshold <= 1.0:
        raise MlopsUsageError(
            f"--drift-threshold is a share of drifted columns in [0, 1], not {drift_threshold}."
        )
    for url in webhooks or []:
        if not url.startswith(("http://", "https://")):
            raise MlopsUsageError(f"A webhook is an http:// or https:// URL, not {url!r}.")
    monitor: dict[str, Any] = {"name": name, "alert": ["log", *(webhooks or [])]}
    if trigger_pipeline is not None:
        monitor["trigger"] = check_file("pipeline", trigger_pipeline, load_config().root)
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
) -> Schedule:
    """Add a schedule that runs a notebook or a pipeline on a cron expression.

    Args:
        name: The schedule's name (letters, digits, ``.``, ``_``, ``-``).
        cron: A five-field cron expression such as ``"0 6 * * *"``.
        notebook: The notebook to run (give this or ``pipeline``).
        pipeline: The pipeline spec to run.
        timezone: The IANA timezone the cron expression is read in.
        env: The pipeline environment.
        params: Parameters passed to the notebook or pipeline.
        coalesce: Run missed ticks once (default) rather than each of them.
        monitor_webhook: URL(s) to POST a drift summary to when drift is found.
        trigger_pipeline: A pipeline spec to run (retrain) when drift is found.
        trigger_env: The environment of the triggered pipeline.
        drift_threshold: Act when the drifted share reaches this, not on the dataset verdict.
        store: The store (default: the project's).
        now: The clock (tests).

    Returns:
        The stored schedule.

    Raises:
        MlopsUsageError: for a bad name, cron expression, timezone or target.
    """
    store = _store(store)
    root = load_config().root
    check_name(name)
    cron = check_cron(cron)
    check_timezone(timezone)
    kind, target = _target(notebook, pipeline, root)
    hooks = [monitor_webhook] if isinstance(monitor_webhook, str) else monitor_webhook
    monitor = make_monitor(
        name=name,
        webhooks=hooks,
        trigger_pipeline=trigger_pipeline,
        trigger_env=trigger_env,
        drift_threshold=drift_threshold,
    )
    when = now()
    with store.write() as conn:
        exists = conn.execute(select(t.schedules.c.id).where(t.schedules.c.name == name)).first()
        if exists is not None:
            raise MlopsUsageError(
                f"A schedule named {name!r} exists; remove it first or choose another name."
            )
        conn.execute(
            t.schedules.insert().values(
                name=name,
                target_kind=kind,
                target=target,
                cron=cron,
                timezone=timezone,
                env=env,
                params=json.dumps(params or {}, sort_keys=True, default=str),
                monitor=json.dumps(monitor, sort_keys=True) if monitor else None,
                enabled=True,
                coalesce=coalesce,
                next_due=next_tick(cron, timezone, when),
                last_tick=None,
                created_at=when,
                updated_at=when,
            )
        )
    return get(name, store=store)


def get(name: str, *, store: Store | None = None) -> Schedule:
    """Read one schedule by name.

    Raises:
        NotFoundError: when there is no such schedule.
    """
    store = _store(store)
    with store.read() as conn:
        row = conn.execute(select(t.schedules).where(t.schedules.c.name == name)).first()
        if row is None:
            names = [r[0] for r in conn.execute(select(t.schedules.c.name).limit(20))]
    if row is None:
        known = f"; schedules: {', '.join(sorted(names))}" if names else "; there are none yet"
        raise NotFoundError(f"No schedule named {name!r}{known}.")
    return Schedule.from_row(row)


def list_schedules(*, store: Store | None = None) -> list[Schedule]:
    """Every schedule, by name."""
    store = _store(store)
    with store.read() as conn:
        rows = conn.execute(select(t.schedules).order_by(code_point(t.schedules.c.name))).all()
    return [Schedule.from_row(r) for r in rows]


def _set_enabled(name: str, enabled: bool, store: Store | None, now: Clock) -> Schedule:
    store = _store(store)
    sched = get(name, store=store)
    values: dict[str, Any] = {"enabled": enabled, "updated_at": now()}
    if enabled and not sched.enabled:
        # Resuming does not catch up on the ticks that passed while paused.
        values["next_due"] = next_tick(sched.cron, sched.timezone, now())
    with store.write() as conn:
        conn.execute(update(t.schedules).where(t.schedules.c.id == sched.id).values(**values))
    return get(name, store=store)


def pause(name: str, *, store: Store | None = None, now: Clock = time.time) -> Schedule:
    """Stop a schedule from running until :func:`resume` (a running tick finishes)."""
    return _set_enabled(name, False, store, now)


def resume(name: str, *, store: Store | None = None, now: Clock = time.time) -> Schedule:
    """Let a paused schedule run again, from its next tick after now."""
    return _set_enabled(name, True, store, now)


def remove(name: str, *, store: Store | None = None) -> None:
    """Delete a schedule and its run history (the runs it produced stay)."""
    store = _store(store)
    sched = get(name, store=store)
    with store.write() as conn:
        conn.execute(delete(t.schedule_runs).where(t.schedule_runs.c.schedule_id == sched.id))
        conn.execute(delete(t.schedules).where(t.schedules.c.id == sched.id))


def run_now(
    name: str, *, store: Store | None = None, now: Clock = time.time, timeout: float | None = None
) -> ScheduleRun:
    """Run a schedule once, here and now, whatever its cron says; wait for the result.

    Raises:
        ConflictError: when the schedule is running already.
    """
    from jupyter_mlops.scheduler.runner import execute

    store = _store(store)
    sched = get(name, store=store)
    claim = claims.claim_now(store, sched.id, now())
    if claim is None:
        raise ConflictError(f"Schedule {name!r} is running already; try again when it ends.")
    return execute(store, claim, now=now, timeout=timeout)


def _run_of(row: Any, name: str) -> ScheduleRun:
    return ScheduleRun(
        id=int(row.id),
        schedule=name,
        tick=row.tick,
        status=row.status,
        started=row.started,
        ended=row.ended,
        run_id=row.run_id,
        pipeline_run_id=row.pipeline_run_id,
        output_notebook=row.output_notebook,
        error=row.error,
    )


def runs(name: str, *, limit: int | None = 100, store: Store | None = None) -> list[ScheduleRun]:
    """The runs of schedule ``name``, newest tick first."""
    store = _store(store)
    sched = get(name, store=store)
    stmt = (
        select(t.schedule_runs)
        .where(t.schedule_runs.c.schedule_id == sched.id)
        .order_by(t.schedule_runs.c.tick.desc(), t.schedule_runs.c.id.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    with store.read() as conn:
        rows = conn.execute(stmt).all()
    return [_run_of(r, name) for r in rows]


def get_schedule_run(store: Store, schedule_run_id: int) -> ScheduleRun:
    """Read one schedule run by id."""
    with store.read() as conn:
        row = conn.execute(
            select(t.schedule_runs, t.schedules.c.name.label("schedule_name"))
            .join(t.schedules, t.schedules.c.id == t.schedule_runs.c.schedule_id)
            .where(t.schedule_runs.c.id == schedule_run_id)
        ).one()
    return _run_of(row, row.schedule_name)


def history(name: str, *, limit: int | None = 100, store: Store | None = None) -> pd.DataFrame:
    """The runs of schedule ``name`` as a table, newest first."""
    import pandas as pd

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
