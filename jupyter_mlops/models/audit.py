"""The promotion audit trail: every attempt to move a stage, promoted, refused or conflict."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from jupyter_mlops.expressions import GateResult
from jupyter_mlops.models.records import PromotionEvent, decode_checks, encode_checks
from jupyter_mlops.models.uri import check_name
from jupyter_mlops.models.validation import ValidationResult
from jupyter_mlops.store import Store, current_store, promotions
from jupyter_mlops.store import models as stored

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Attempt:
    """One promotion attempt, as recorded in its audit event."""

    model_id: int
    name: str
    stage: str
    from_version: int | None
    to_version: int
    action: str
    checks: list[GateResult]
    validation: ValidationResult | None
    reason: str | None
    user: str

    def event(self, outcome: str, detail: str | None = None) -> promotions.NewEvent:
        """The audit event recording this attempt with ``outcome``."""
        validation = self.validation.to_dict() if self.validation else None
        return promotions.NewEvent(
            model_id=self.model_id,
            stage=self.stage,
            from_version=self.from_version,
            to_version=self.to_version,
            outcome=outcome,
            checks=encode_checks(self.action, self.checks, validation, detail),
            reason=self.reason,
            user=self.user,
            host=socket.gethostname(),
            created_at=time.time(),
        )


def record(conn: Connection, attempt: Attempt, outcome: str, detail: str | None = None) -> int:
    """Write the audit event of ``attempt`` in the open transaction; its id."""
    return promotions.insert_event(conn, attempt.event(outcome, detail))


def events(
    name: str,
    *,
    stage: str | None = None,
    store: Store | None = None,
    event_id: int | None = None,
) -> list[PromotionEvent]:
    """The audit events of model ``name`` (optionally one stage), oldest first."""
    check_name(name)
    store = store or current_store()
    with store.read() as conn:
        rows = promotions.events(conn, stored.model_id(conn, name), stage=stage, event_id=event_id)
    result = []
    for r in rows:
        data = decode_checks(r.checks)
        result.append(
            PromotionEvent(
                id=r.id,
                model=name,
                stage=r.stage,
                action=str(data["action"]),
                from_version=r.from_version,
                to_version=r.to_version,
                outcome=r.outcome,
                checks=data["checks"],
                validation=data["validation"],
                detail=data["detail"],
                reason=r.reason,
                user=r.user,
                host=r.host,
                created_at=r.created_at,
            )
        )
    return result


def history(name: str, *, stage: str | None = None, store: Store | None = None) -> pd.DataFrame:
    """The audit trail of model ``name`` as a DataFrame, oldest first.

    Columns: ``id, created_at (UTC), stage, action, from_version, to_version, outcome,
    checks`` (one line per check: status and message), ``reason, detail, user, host,
    validation_run``; ``results`` holds the checks as dicts.
    """
    # start-up: pandas loads only when a history is asked for.
    import pandas as pd

    rows = events(name, stage=stage, store=store)
    return pd.DataFrame(
        {
            "id": [e.id for e in rows],
            "created_at": pd.to_datetime([e.created_at for e in rows], unit="s", utc=True),
            "model": [e.model for e in rows],
            "stage": [e.stage for e in rows],
            "action": [e.action for e in rows],
            "from_version": pd.array([e.from_version for e in rows], dtype="Int64"),
            "to_version": [e.to_version for e in rows],
            "outcome": [e.outcome for e in rows],
            "checks": ["\n".join(c.message for c in e.checks) for e in rows],
            "reason": [e.reason for e in rows],
            "detail": [e.detail for e in rows],
            "user": [e.user for e in rows],
            "host": [e.host for e in rows],
            "validation_run": [(e.validation or {}).get("run_id") for e in rows],
            "results": [[c.to_dict() for c in e.checks] for e in rows],
        }
    )
