"""Pipeline runs, their step runs and pipeline promotions in the store."""

from __future__ import annotations

import json
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, insert, select, update

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store

#: step_runs statuses that count as done and reusable
DONE = ("ok", "cached")
#: statuses a pipeline run or step run may still leave (a cancel ends both)
UNFINISHED = ("queued", "running")
#: every step_runs status
STEP_STATUSES = ("queued", "running", "cached", "ok", "failed", "skipped", "cancelled")


@dataclass(frozen=True)
class StepRunRecord:
    """One step of one pipeline run."""

    id: int
    pipeline_run_id: str
    step: str
    run_id: str | None
    cache_key: str | None
    status: str
    attempt: int
    started: float | None
    ended: float | None
    output_notebook: str | None
    outputs: dict[str, str] = field(default_factory=dict)
    error: dict[str, Any] | None = None


@dataclass(frozen=True)
class PipelineRunRecord:
    """One run of a pipeline."""

    id: str
    name: str
    spec_path: str
    spec_digest: str
    pipeline_version: str
    env: str | None
    status: str
    run_id: str | None
    params: dict[str, Any]
    options: dict[str, Any]
    trigger: str | None
    started: float
    ended: float | None
    error: str | None


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def _step(row: Any) -> StepRunRecord:
    return StepRunRecord(
        id=row.id,
        pipeline_run_id=row.pipeline_run_id,
        step=row.step,
        run_id=row.run_id,
        cache_key=row.cache_key,
        status=row.status,
        attempt=row.attempt,
        started=row.started,
        ended=row.ended,
        output_notebook=row.output_notebook,
        outputs=_loads(row.outputs) or {},
        error=_loads(row.error),
    )


def _pipeline(row: Any) -> PipelineRunRecord:
    return PipelineRunRecord(
        id=row.id,
        name=row.name,
        spec_path=row.spec_path,
        spec_digest=row.spec_digest,
        pipeline_version=row.pipeline_version,
        env=row.env,
        status=row.status,
        run_id=row.run_id,
        params=_loads(row.params) or {},
        options=_loads(row.options) or {},
        trigger=row.trigger,
        started=row.started,
        ended=row.ended,
        error=row.error,
    )


def create_pipeline_run(
    store: Store,
    *,
    name: str,
    spec_path: str,
    spec_digest: str,
    pipeline_version: str,
    env: str | None,
    run_id: str | None,
    params: dict[str, Any],
    options: dict[str, Any],
    trigger: str = "manual",
    trigger_run_id: str | None = None,
    user: str | None = None,
) -> str:
    """Insert a ``running`` pipeline run and return its id."""
    pid = uuid.uuid4().hex
    with store.write() as conn:
        conn.execute(
            insert(t.pipeline_runs).values(
                id=pid,
                name=name,
                spec_path=spec_path,
                spec_digest=spec_digest,
                pipeline_version=pipeline_version,
                env=env,
                status="running",
                run_id=run_id,
                params=json.dumps(params, default=repr),
                options=json.dumps(options, default=repr),
                trigger=trigger,
                trigger_run_id=trigger_run_id,
                user_name=user,
                host=socket.gethostname(),
                started=time.time(),
            )
        )
    return pid


def _ends(status: str) -> tuple[str, ...]:
    """The statuses an end ``status`` may overwrite: a cancel is final, but a ``cancelled``
    end (the runner saw the cancel) may still say when and how its work stopped."""
    return UNFINISHED + (("cancelled",) if status == "cancelled" else ())


def end_pipeline_run(store: Store, pipeline_run_id: str, status: str, error: str | None) -> str:
    """End a running pipeline run ``status``; return the status it has now.

    One transaction, conditional on ``running``: a run cancelled meanwhile stays
    ``cancelled`` (the runner's ``ok`` or ``failed`` after the cancel changes nothing).
    """
    pr = t.pipeline_runs
    with store.write() as conn:
        changed = conn.execute(
            update(pr)
            .where(pr.c.id == pipeline_run_id, pr.c.status.in_(_ends(status)))
            .values(status=status, ended=time.time(), error=error)
        ).rowcount
        if changed:
            return status
        now = conn.execute(select(pr.c.status).where(pr.c.id == pipeline_run_id)).scalar()
    return status if now is None else str(now)


def cancel_pipeline_run(store: Store, pipeline_run_id: str, note: str) -> bool:
    """Mark a running pipeline run and its unfinished steps cancelled; False if not running.

    One transaction, conditional on ``running``: two cancels, or a cancel racing the run's
    end, never both win.
    """
    now = time.time()
    pr, sr = t.pipeline_runs, t.step_runs
    with store.write() as conn:
        changed = conn.execute(
            update(pr)
            .where(pr.c.id == pipeline_run_id, pr.c.status == "running")
            .values(status="cancelled", ended=now, error=note)
        ).rowcount
        if not changed:
            return False
        conn.execute(
            update(sr)
            .where(sr.c.pipeline_run_id == pipeline_run_id, sr.c.status.in_(UNFINISHED))
            .values(status="cancelled", ended=now, error=json.dumps({"note": note}))
        )
    return True


def add_step_run(store: Store, pipeline_run_id: str, step: str, **values: Any) -> int:
    """Insert a step run (``status`` and other columns given as keywords); return its id."""
    row = _encode({"attempt": 0, **values})
    with store.write() as conn:
        result = conn.execute(
            insert(t.step_runs).values(pipeline_run_id=pipeline_run_id, step=step, **row)
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def start_step_run(store: Store, step_run_id: int, **values: Any) -> bool:
    """Mark a queued (or retried) step run ``running``; False when a cancel ended it first."""
    sr = t.step_runs
    with store.write() as conn:
        changed = conn.execute(
            update(sr)
            .where(sr.c.id == step_run_id, sr.c.status.in_(UNFINISHED))
            .values(status="running", **_encode(values))
        ).rowcount
    return bool(changed)


def end_step_run(store: Store, step_run_id: int, status: str, **values: Any) -> str:
    """End a step run ``status`` (other columns as keywords); return the status it has now.

    Like :func:`end_pipeline_run`: a step the cancel ended first stays ``cancelled``.
    """
    sr = t.step_runs
    with store.write() as conn:
        changed = conn.execute(
            update(sr)
            .where(sr.c.id == step_run_id, sr.c.status.in_(_ends(status)))
            .values(status=status, **_encode(values))
        ).rowcount
        if changed:
            return status
        now = conn.execute(select(sr.c.status).where(sr.c.id == step_run_id)).scalar()
    return status if now is None else str(now)


def update_step_run(store: Store, step_run_id: int, **values: Any) -> None:
    with store.write() as conn:
        conn.execute(
            update(t.step_runs).where(t.step_runs.c.id == step_run_id).values(**_encode(values))
        )


def _encode(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for key in ("outputs", "error"):
        if key in out and out[key] is not None and not isinstance(out[key], str):
            out[key] = json.dumps(out[key], default=repr)
    return out


def step_runs(store: Store, pipeline_run_id: str) -> list[StepRunRecord]:
    """The step runs of one pipeline run, in insertion order."""
    sr = t.step_runs
    with store.read() as conn:
        rows = conn.execute(
            select(sr).where(sr.c.pipeline_run_id == pipeline_run_id).order_by(sr.c.id)
        ).all()
    return [_step(r) for r in rows]


def step_counts(store: Store, pipeline_run_ids: list[str]) -> dict[str, dict[str, int]]:
    """For each pipeline run, how many of its step runs are in each status."""
    sr = t.step_runs
    counts: dict[str, dict[str, int]] = {i: {} for i in pipeline_run_ids}
    if not pipeline_run_ids:
        return counts
    with store.read() as conn:
        for prun, status, n in conn.execute(
            select(sr.c.pipeline_run_id, sr.c.status, func.count())
            .where(sr.c.pipeline_run_id.in_(pipeline_run_ids))
            .group_by(sr.c.pipeline_run_id, sr.c.status)
        ):
            counts[str(prun)][str(status)] = int(n)
    return counts


def page_of_pipeline_runs(
    store: Store, *, name: str | None, limit: int, offset: int
) -> tuple[int, list[str]]:
    """How many pipeline runs there are (of ``name``), and the ids of one page, newest first."""
    pr = t.pipeline_runs
    where = [pr.c.name == name] if name else []
    with store.read() as conn:
        total = int(conn.execute(select(func.count()).select_from(pr).where(*where)).scalar_one())
        ids = [
            str(r[0])
            for r in conn.execute(
                select(pr.c.id)
                .where(*where)
                .order_by(pr.c.started.desc(), pr.c.id)
                .limit(limit)
                .offset(offset)
            )
        ]
    return total, ids


def get_pipeline_run(store: Store, pipeline_run_id: str) -> PipelineRunRecord | None:
    pr = t.pipeline_runs
    with store.read() as conn:
        row = conn.execute(select(pr).where(pr.c.id == pipeline_run_id)).first()
    return None if row is None else _pipeline(row)


def find_pipeline_run(store: Store, ref: str) -> PipelineRunRecord | None:
    """The pipeline run of id ``ref`` or of a unique id prefix of 4+ characters (the command
    line shows 8); None when none matches.

    Raises:
        MlopsUsageError: a prefix that more than one pipeline run starts with.
    """
    ref = ref.strip().lower()
    found = get_pipeline_run(store, ref) if ref else None
    if found is not None or len(ref) < 4 or any(c not in "0123456789abcdef" for c in ref):
        return found
    pr = t.pipeline_runs
    with store.read() as conn:
        rows = conn.execute(select(pr).where(pr.c.id.like(ref + "%")).limit(2)).all()
    if len(rows) > 1:
        raise MlopsUsageError(
            f"{ref!r} starts more than one pipeline run's id; give more of the id."
        )
    return _pipeline(rows[0]) if rows else None


def latest_pipeline_run(
    store: Store,
    name: str,
    *,
    env: str | None,
    spec_path: str | None = None,
    status: str | None = None,
    exclude_trigger: str | None = None,
) -> PipelineRunRecord | None:
    """The newest pipeline run of ``name`` in ``env`` (optionally of a spec path and status)."""
    pr = t.pipeline_runs
    where = [pr.c.name == name, pr.c.env.is_(None) if env is None else pr.c.env == env]
    if spec_path is not None:
        where.append(pr.c.spec_path == spec_path)
    if status is not None:
        where.append(pr.c.status == status)
    if exclude_trigger is not None:
        where.append(pr.c.trigger != exclude_trigger)
    with store.read() as conn:
        row = conn.execute(
            select(pr).where(and_(*where)).order_by(pr.c.started.desc()).limit(1)
        ).first()
    return None if row is None else _pipeline(row)


def latest_done_steps(store: Store, name: str, steps: list[str]) -> dict[str, StepRunRecord]:
    """For each step of pipeline ``name``, its newest ``ok`` step run (any environment)."""
    sr, pr = t.step_runs, t.pipeline_runs
    found: dict[str, StepRunRecord] = {}
    with store.read() as conn:
        rows = conn.execute(
            select(sr)
            .join(pr, pr.c.id == sr.c.pipeline_run_id)
            .where(pr.c.name == name, sr.c.step.in_(steps), sr.c.status == "ok")
            .order_by(sr.c.id.desc())
        ).all()
    for row in rows:
        found.setdefault(row.step, _step(row))
    return found


def ok_with_key(store: Store, name: str, step: str, key: str) -> list[StepRunRecord]:
    """The ``ok`` step runs of ``step`` with cache key ``key``, newest first."""
    sr, pr = t.step_runs, t.pipeline_runs
    with store.read() as conn:
        rows = conn.execute(
            select(sr)
            .join(pr, pr.c.id == sr.c.pipeline_run_id)
            .where(pr.c.name == name, sr.c.step == step, sr.c.cache_key == key, sr.c.status == "ok")
            .order_by(sr.c.id.desc())
            .limit(5)
        ).all()
    return [_step(r) for r in rows]


def find_step_in_pipeline_run(
    store: Store, pipeline_run_id: str, step: str
) -> StepRunRecord | None:
    sr = t.step_runs
    with store.read() as conn:
        row = conn.execute(
            select(sr)
            .where(sr.c.pipeline_run_id == pipeline_run_id, sr.c.step == step)
            .order_by(sr.c.id.desc())
            .limit(1)
        ).first()
    return None if row is None else _step(row)


# -- promotions ---------------------------------------------------------------


@dataclass(frozen=True)
class PipelinePromotion:
    """One promotion of a pipeline version into an environment (an audit event)."""

    id: int
    name: str
    from_env: str
    to_env: str
    pipeline_version: str
    manifest: dict[str, str]
    pipeline_run_id: str | None
    reason: str | None
    user: str | None
    host: str | None
    created_at: float


def add_promotion(store: Store, **values: Any) -> int:
    values = dict(values)
    values["manifest"] = json.dumps(values["manifest"], sort_keys=True)
    with store.write() as conn:
        result = conn.execute(
            insert(t.pipeline_promotions).values(
                host=socket.gethostname(), created_at=time.time(), **values
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def promotions(store: Store, name: str, to_env: str | None = None) -> list[PipelinePromotion]:
    """Promotions of pipeline ``name`` (into ``to_env``), newest first."""
    pp = t.pipeline_promotions
    where = [pp.c.name == name]
    if to_env is not None:
        where.append(pp.c.to_env == to_env)
    with store.read() as conn:
        rows = conn.execute(select(pp).where(and_(*where)).order_by(pp.c.id.desc())).all()
    return [
        PipelinePromotion(
            id=r.id,
            name=r.name,
            from_env=r.from_env,
            to_env=r.to_env,
            pipeline_version=r.pipeline_version,
            manifest=json.loads(r.manifest),
            pipeline_run_id=r.pipeline_run_id,
            reason=r.reason,
            user=r.user_name,
            host=r.host,
            created_at=r.created_at,
        )
        for r in rows
    ]


def pipeline_of_run(
    store: Store, run_id: str
) -> tuple[PipelineRunRecord, StepRunRecord | None] | None:
    """The pipeline run that run ``run_id`` is a step of (with that step), or the parent run
    of (step None); None when it belongs to none."""
    sr, pr = t.step_runs, t.pipeline_runs
    with store.read() as conn:
        step = conn.execute(
            select(sr).where(sr.c.run_id == run_id).order_by(sr.c.id.desc()).limit(1)
        ).first()
        owner = step.pipeline_run_id if step is not None else None
        where = pr.c.id == owner if owner is not None else pr.c.run_id == run_id
        row = conn.execute(select(pr).where(where).order_by(pr.c.started.desc()).limit(1)).first()
    if row is None:
        return None
    return _pipeline(row), None if step is None else _step(step)
