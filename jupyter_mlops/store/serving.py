"""What a model server reads and writes: which version holds a stage, logged-traffic batches,
and its own presence (a row of kind ``server`` whose ``last_time`` it renews while it runs)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update

from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store


@dataclass(frozen=True)
class StageHolder:
    """The version holding a stage and the digest of its model object."""

    version: int
    digest: str


@dataclass(frozen=True)
class InferenceBatchRow:
    """One flushed batch of logged traffic: its Parquet object and what it covers."""

    id: int
    model_name: str
    stage: str | None
    kind: str
    server_id: str
    digest: str
    n_rows: int
    versions: str
    first_time: float
    last_time: float


def stage_holder(store: Store, name: str, stage: str) -> StageHolder | None:
    """The version of model ``name`` holding ``stage`` now, or None (no such model or stage)."""
    mv, rm, ms = t.model_versions, t.registered_models, t.model_stages
    with store.read() as conn:
        row = conn.execute(
            select(mv.c.version, mv.c.digest)
            .join(ms, ms.c.version_id == mv.c.id)
            .join(rm, rm.c.id == ms.c.model_id)
            .where(rm.c.name == name, ms.c.stage == stage)
        ).first()
    return None if row is None else StageHolder(int(row.version), str(row.digest))


def add_inference_batch(
    store: Store,
    *,
    model_name: str,
    stage: str | None,
    server_id: str,
    digest: str,
    kind: str = "traffic",
    n_rows: int,
    versions: str,
    first_time: float,
    last_time: float,
) -> None:
    """Index one flushed batch (its rows are already in the artifact store)."""
    with store.write() as conn:
        conn.execute(
            insert(t.inference_batches).values(
                model_name=model_name,
                stage=stage,
                kind=kind,
                server_id=server_id,
                digest=digest,
                n_rows=n_rows,
                versions=versions[:255],
                first_time=first_time,
                last_time=last_time,
                created_at=time.time(),
            )
        )


def inference_batches(
    store: Store,
    model_name: str,
    *,
    stage: str | None = None,
    since: float | None = None,
    kind: str = "traffic",
) -> list[InferenceBatchRow]:
    """The batches of ``kind`` logged for ``model_name`` (at ``stage``, ending after ``since``)."""
    ib = t.inference_batches
    query = select(ib).where(ib.c.model_name == model_name, ib.c.kind == kind)
    if stage is not None:
        query = query.where(ib.c.stage == stage)
    if since is not None:
        query = query.where(ib.c.last_time >= since)
    with store.read() as conn:
        rows = conn.execute(query.order_by(ib.c.first_time, ib.c.id)).all()
    return [
        InferenceBatchRow(
            int(r.id),
            str(r.model_name),
            r.stage,
            str(r.kind),
            str(r.server_id),
            str(r.digest),
            int(r.n_rows),
            str(r.versions),
            float(r.first_time),
            float(r.last_time),
        )
        for r in rows
    ]


def renew_server(store: Store, server_id: str, version: int, seen: float) -> bool:
    """Mark server ``server_id`` seen at ``seen`` serving ``version``; False if it has no row."""
    ib = t.inference_batches
    with store.write() as conn:
        done = conn.execute(
            update(ib)
            .where(ib.c.server_id == server_id, ib.c.kind == "server")
            .values(versions=str(version), last_time=seen)
        )
    return bool(done.rowcount)


def forget_server(store: Store, server_id: str) -> None:
    """Remove the presence row of a server that stopped (its traffic batches stay)."""
    ib = t.inference_batches
    with store.write() as conn:
        conn.execute(delete(ib).where(ib.c.server_id == server_id, ib.c.kind == "server"))
