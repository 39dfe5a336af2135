"""The promotion audit trail's SQL: one ``promotion_events`` row per attempt to move a stage."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from jupyter_mlops.store import tables as t


@dataclass(frozen=True)
class NewEvent:
    """One attempt to record: ``checks`` is the JSON text of its checks, action and detail."""

    model_id: int
    stage: str
    from_version: int | None
    to_version: int
    outcome: str
    checks: str
    reason: str | None
    user: str | None
    host: str | None
    created_at: float


@dataclass(frozen=True)
class EventRow:
    """One recorded attempt."""

    id: int
    stage: str
    from_version: int | None
    to_version: int
    outcome: str
    checks: str
    reason: str | None
    user: str | None
    host: str | None
    created_at: float


def insert_event(conn: Connection, event: NewEvent) -> int:
    """Record ``event``; its id."""
    result = conn.execute(
        insert(t.promotion_events).values(
            model_id=event.model_id,
            stage=event.stage,
            from_version=event.from_version,
            to_version=event.to_version,
            outcome=event.outcome,
            checks=event.checks,
            reason=event.reason,
            user_name=event.user,
            host=event.host,
            created_at=event.created_at,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def events(
    conn: Connection, model_id: int, *, stage: str | None = None, event_id: int | None = None
) -> list[EventRow]:
    """The events of model ``model_id`` (optionally of one stage, or only one), oldest first."""
    pe = t.promotion_events
    query = select(pe).where(pe.c.model_id == model_id)
    if stage is not None:
        query = query.where(pe.c.stage == stage)
    if event_id is not None:
        query = query.where(pe.c.id == event_id)
    return [
        EventRow(
            id=int(r.id),
            stage=str(r.stage),
            from_version=None if r.from_version is None else int(r.from_version),
            to_version=int(r.to_version),
            outcome=str(r.outcome),
            checks=r.checks,
            reason=r.reason,
            user=r.user_name,
            host=r.host,
            created_at=float(r.created_at),
        )
        for r in conn.execute(query.order_by(pe.c.id))
    ]
