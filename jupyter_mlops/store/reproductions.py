"""Reproducibility certificates' SQL: one ``reproductions`` row per reproduction of a run."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, or_, select

from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store


@dataclass(frozen=True)
class Certificate:
    """One reproduction of run ``run_id``: its verdict and what was compared."""

    id: int
    run_id: str
    reproduction_run_id: str | None
    model_version_id: int | None
    verdict: str
    tolerance: float
    created_at: float
    details: dict[str, Any] = field(default_factory=dict)


def _certificate(row: Any) -> Certificate:
    try:
        details = json.loads(row.details) if row.details else {}
    except ValueError:
        details = {}
    return Certificate(
        id=int(row.id),
        run_id=str(row.run_id),
        reproduction_run_id=row.reproduction_run_id,
        model_version_id=row.model_version_id,
        verdict=str(row.verdict),
        tolerance=float(row.tolerance),
        created_at=float(row.created_at),
        details=details if isinstance(details, dict) else {},
    )


def add(
    store: Store,
    *,
    run_id: str,
    reproduction_run_id: str | None,
    model_version_id: int | None,
    verdict: str,
    tolerance: float,
    details: dict[str, Any],
) -> int:
    """Record a reproduction of ``run_id``; its id."""
    with store.write() as conn:
        result = conn.execute(
            insert(t.reproductions).values(
                run_id=run_id,
                reproduction_run_id=reproduction_run_id,
                model_version_id=model_version_id,
                verdict=verdict,
                tolerance=float(tolerance),
                details=json.dumps(details, default=str),
                created_at=time.time(),
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def latest(
    conn: Connection,
    *,
    run_id: str | None,
    model_version_id: int | None,
    same_step: bool = False,
) -> Certificate | None:
    """The newest certificate of a model version, or of the run that produced it.

    With ``same_step``, a certificate of any pipeline step run with the same cache key as
    ``run_id`` (the same notebook code, params, upstream steps and input data) counts too.
    """
    r, s = t.reproductions, t.step_runs
    conditions = []
    if model_version_id is not None:
        conditions.append(r.c.model_version_id == model_version_id)
    if run_id is not None:
        conditions.append(r.c.run_id == run_id)
    if run_id is not None and same_step:
        key = (
            select(s.c.cache_key)
            .where(s.c.run_id == run_id, s.c.cache_key.is_not(None))
            .limit(1)
            .scalar_subquery()
        )
        conditions.append(r.c.run_id.in_(select(s.c.run_id).where(s.c.cache_key == key)))
    if not conditions:
        return None
    row = conn.execute(
        select(r).where(or_(*conditions)).order_by(r.c.created_at.desc(), r.c.id.desc()).limit(1)
    ).first()
    return None if row is None else _certificate(row)


def for_run(store: Store, run_id: str) -> list[Certificate]:
    """Every certificate of run ``run_id``, newest first."""
    r = t.reproductions
    with store.read() as conn:
        rows = conn.execute(
            select(r).where(r.c.run_id == run_id).order_by(r.c.created_at.desc(), r.c.id.desc())
        ).all()
    return [_certificate(row) for row in rows]
