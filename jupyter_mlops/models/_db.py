"""Registry queries shared by registration, promotion, loading and lineage."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Row, func, select

from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.models.records import ModelVersion
from jupyter_mlops.models.uri import ModelURI
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.order import code_point


def model_id(conn: Connection, name: str) -> int:
    """The id of registered model ``name``; NotFoundError listing close names."""
    row = conn.execute(
        select(t.registered_models.c.id).where(t.registered_models.c.name == name)
    ).first()
    if row is None:
        names = [
            str(r[0])
            for r in conn.execute(
                select(t.registered_models.c.name)
                .order_by(code_point(t.registered_models.c.name))
                .limit(20)
            )
        ]
        known = f" Registered models: {', '.join(names)}." if names else " No model is registered."
        raise NotFoundError(f"No registered model {name!r}.{known}", model=name)
    return int(row[0])


def version_row(conn: Connection, mid: int, name: str, version: int) -> Row[Any]:
    row = conn.execute(
        select(t.model_versions).where(
            t.model_versions.c.model_id == mid, t.model_versions.c.version == version
        )
    ).first()
    if row is None:
        latest = conn.execute(
            select(func.max(t.model_versions.c.version)).where(t.model_versions.c.model_id == mid)
        ).scalar()
        span = f"versions are 1 to {latest}" if latest else "it has no versions"
        raise NotFoundError(
            f"Model {name!r} has no version {version} ({span}).", model=name, version=version
        )
    return row


def stage_holders(conn: Connection, mid: int) -> dict[str, tuple[int, int]]:
    """``{stage: (version_id, version)}`` for every stage of model ``mid`` held now."""
    rows = conn.execute(
        select(t.model_stages.c.stage, t.model_stages.c.version_id, t.model_versions.c.version)
        .join(t.model_versions, t.model_versions.c.id == t.model_stages.c.version_id)
        .where(t.model_stages.c.model_id == mid)
        .order_by(code_point(t.model_stages.c.stage))
    ).all()
    return {str(r.stage): (int(r.version_id), int(r.version)) for r in rows}


def resolve(conn: Connection, ref: ModelURI) -> Row[Any]:
    """The ``model_versions`` row a URI names (version, stage holder or latest)."""
    mid = model_id(conn, ref.name)
    if ref.version is not None:
        return version_row(conn, mid, ref.name, ref.version)
    if ref.stage is not None:
        holders = stage_holders(conn, mid)
        if ref.stage not in holders:
            held = ", ".join(f"{s} (v{v})" for s, (_, v) in holders.items())
            detail = f"stages held: {held}" if held else "no stage is held yet"
            raise NotFoundError(
                f"No version of model {ref.name!r} holds stage {ref.stage!r} ({detail}); "
                f"promote one with mlops.models.promote({ref.name!r}, VERSION, to={ref.stage!r}).",
                model=ref.name,
                stage=ref.stage,
            )
        return version_row(conn, mid, ref.name, holders[ref.stage][1])
    latest = conn.execute(
        select(func.max(t.model_versions.c.version)).where(t.model_versions.c.model_id == mid)
    ).scalar()
    if latest is None:
        raise NotFoundError(f"Model {ref.name!r} has no versions yet.", model=ref.name)
    return version_row(conn, mid, ref.name, int(latest))


def tags_of(conn: Connection, version_id: int) -> dict[str, str]:
    return {
        str(k): str(v)
        for k, v in conn.execute(
            select(t.model_version_tags.c.key, t.model_version_tags.c.value)
            .where(t.model_version_tags.c.version_id == version_id)
            .order_by(code_point(t.model_version_tags.c.key))
        )
    }


def stages_of(conn: Connection, version_id: int) -> list[str]:
    return [
        str(r[0])
        for r in conn.execute(
            select(t.model_stages.c.stage)
            .where(t.model_stages.c.version_id == version_id)
            .order_by(code_point(t.model_stages.c.stage))
        )
    ]


def to_model_version(conn: Connection, name: str, row: Row[Any]) -> ModelVersion:
    """Build a ModelVersion (with tags and stages) from a ``model_versions`` row."""
    return ModelVersion(
        name=name,
        version=int(row.version),
        id=int(row.id),
        run_id=row.run_id,
        digest=row.digest,
        size=int(row.size),
        flavor=row.flavor,
        format=row.format,
        class_name=row.class_name,
        signature=json.loads(row.signature) if row.signature else None,
        card=json.loads(row.card) if row.card else {},
        description=row.description,
        created_by=row.created_by,
        created_at=float(row.created_at),
        tags=tags_of(conn, int(row.id)),
        stages=stages_of(conn, int(row.id)),
    )


def model_name_of(conn: Connection, mid: int) -> str:
    return str(
        conn.execute(
            select(t.registered_models.c.name).where(t.registered_models.c.id == mid)
        ).scalar_one()
    )
