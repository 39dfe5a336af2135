"""The model registry's SQL: registered models, their versions, tags and the stages they hold."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from jupyter_mlops.errors import ConflictError, NotFoundError
from jupyter_mlops.store import promotions
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store
from jupyter_mlops.store.order import code_point

_REGISTER_ATTEMPTS = 5


@dataclass(frozen=True)
class StoredModelVersion:
    """One registered model version as the store holds it, with its tags and stages."""

    name: str
    version: int
    id: int
    run_id: str | None
    digest: str
    size: int
    flavor: str
    format: str
    class_name: str
    signature: dict[str, Any] | None
    card: dict[str, Any]
    description: str | None
    created_by: str | None
    created_at: float
    tags: dict[str, str] = field(default_factory=dict)
    stages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ModelRow:
    """One registered model with its version count and the version holding each stage."""

    name: str
    versions: int
    latest_version: int | None
    stages: dict[str, int]  # stage -> version number, sorted by stage
    description: str | None
    created_at: float
    updated_at: float


# -- reading ---------------------------------------------------------------------------------


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


def _latest(conn: Connection, mid: int) -> int | None:
    latest = conn.execute(
        select(func.max(t.model_versions.c.version)).where(t.model_versions.c.model_id == mid)
    ).scalar()
    return None if latest is None else int(latest)


def _tags(conn: Connection, version_id: int) -> dict[str, str]:
    return {
        str(k): str(v)
        for k, v in conn.execute(
            select(t.model_version_tags.c.key, t.model_version_tags.c.value)
            .where(t.model_version_tags.c.version_id == version_id)
            .order_by(code_point(t.model_version_tags.c.key))
        )
    }


def _stages(conn: Connection, version_id: int) -> list[str]:
    return [
        str(r[0])
        for r in conn.execute(
            select(t.model_stages.c.stage)
            .where(t.model_stages.c.version_id == version_id)
            .order_by(code_point(t.model_stages.c.stage))
        )
    ]


def _version(
    conn: Connection, name: str, row: Row[Any], *, full: bool = True
) -> StoredModelVersion:
    return StoredModelVersion(
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
        card=json.loads(row.card) if row.card and full else {},
        description=row.description,
        created_by=row.created_by,
        created_at=float(row.created_at),
        tags=_tags(conn, int(row.id)) if full else {},
        stages=_stages(conn, int(row.id)) if full else [],
    )


def version(
    conn: Connection, mid: int, name: str, number: int, *, full: bool = True
) -> StoredModelVersion:
    """Version ``number`` of model ``name`` (id ``mid``); NotFoundError naming the span.

    ``full=False`` leaves its tags and stages unread (empty), for a caller needing neither.
    """
    row = conn.execute(
        select(t.model_versions).where(
            t.model_versions.c.model_id == mid, t.model_versions.c.version == number
        )
    ).first()
    if row is None:
        latest = _latest(conn, mid)
        span = f"versions are 1 to {latest}" if latest else "it has no versions"
        raise NotFoundError(
            f"Model {name!r} has no version {number} ({span}).", model=name, version=number
        )
    return _version(conn, name, row, full=full)


def stage_holders(conn: Connection, mid: int) -> dict[str, tuple[int, int]]:
    """``{stage: (version_id, version)}`` for every stage of model ``mid`` held now."""
    rows = conn.execute(
        select(t.model_stages.c.stage, t.model_stages.c.version_id, t.model_versions.c.version)
        .join(t.model_versions, t.model_versions.c.id == t.model_stages.c.version_id)
        .where(t.model_stages.c.model_id == mid)
        .order_by(code_point(t.model_stages.c.stage))
    ).all()
    return {str(r.stage): (int(r.version_id), int(r.version)) for r in rows}


def resolve(
    conn: Connection,
    name: str,
    number: int | None = None,
    stage: str | None = None,
    *,
    full: bool = True,
) -> StoredModelVersion:
    """The version a URI names: ``number``, else the holder of ``stage``, else the latest.

    ``full``: as for :func:`version`.
    """
    mid = model_id(conn, name)
    if number is not None:
        return version(conn, mid, name, number, full=full)
    if stage is not None:
        holders = stage_holders(conn, mid)
        if stage not in holders:
            held = ", ".join(f"{s} (v{v})" for s, (_, v) in holders.items())
            detail = f"stages held: {held}" if held else "no stage is held yet"
            raise NotFoundError(
                f"No version of model {name!r} holds stage {stage!r} ({detail}); "
                f"promote one with mlops.models.promote({name!r}, VERSION, to={stage!r}).",
                model=name,
                stage=stage,
            )
        return version(conn, mid, name, holders[stage][1], full=full)
    latest = _latest(conn, mid)
    if latest is None:
        raise NotFoundError(f"Model {name!r} has no versions yet.", model=name)
    return version(conn, mid, name, latest, full=full)


def versions(conn: Connection, name: str) -> list[StoredModelVersion]:
    """Every version of model ``name``, newest first."""
    mv = t.model_versions
    mid = model_id(conn, name)
    rows = conn.execute(select(mv).where(mv.c.model_id == mid).order_by(mv.c.version.desc())).all()
    return [_version(conn, name, row) for row in rows]


def model_rows(store: Store) -> list[ModelRow]:
    """Every registered model with its version count and the version holding each stage."""
    rm, mv, ms = t.registered_models, t.model_versions, t.model_stages
    with store.read() as conn:
        models = conn.execute(
            select(
                rm.c.id,
                rm.c.name,
                rm.c.description,
                rm.c.created_at,
                func.count(mv.c.id).label("n"),
                func.max(mv.c.version).label("latest"),
                func.max(mv.c.created_at).label("updated"),
            )
            .join(mv, mv.c.model_id == rm.c.id, isouter=True)
            .group_by(rm.c.id, rm.c.name, rm.c.description, rm.c.created_at)
            .order_by(code_point(rm.c.name))
        ).all()
        stages: dict[int, dict[str, int]] = {}
        for mid, stage, number in conn.execute(
            select(ms.c.model_id, ms.c.stage, mv.c.version)
            .join(mv, mv.c.id == ms.c.version_id)
            .order_by(ms.c.model_id, code_point(ms.c.stage))
        ):
            stages.setdefault(int(mid), {})[str(stage)] = int(number)
    return [
        ModelRow(
            name=r.name,
            versions=int(r.n),
            latest_version=None if r.latest is None else int(r.latest),
            stages=stages.get(int(r.id), {}),
            description=r.description,
            created_at=float(r.created_at),
            updated_at=float(r.updated if r.updated is not None else r.created_at),
        )
        for r in models
    ]


def with_digests(store: Store, digests: Iterable[str]) -> list[tuple[str, int]]:
    """``(model, version)`` of every version whose artifact is one of ``digests``, sorted."""
    wanted = sorted(set(digests))
    found: set[tuple[str, int]] = set()
    mv, rm = t.model_versions, t.registered_models
    with store.read() as conn:
        # Chunked IN lists stay under SQLite's bound-parameter limit.
        for i in range(0, len(wanted), 500):
            for name, number in conn.execute(
                select(rm.c.name, mv.c.version)
                .join(rm, rm.c.id == mv.c.model_id)
                .where(mv.c.digest.in_(wanted[i : i + 500]))
            ):
                found.add((str(name), int(number)))
    return sorted(found)


def dataset_links(conn: Connection, run_id: str) -> list[dict[str, Any]]:
    """Dataset versions a run read or wrote, with their role and direction (for model cards)."""
    dv, ds, links = t.dataset_versions, t.datasets, t.run_dataset_links
    rows = conn.execute(
        select(
            ds.c.name,
            dv.c.version,
            dv.c.digest,
            dv.c.row_count,
            links.c.role,
            links.c.direction,
        )
        .join(dv, dv.c.id == links.c.version_id)
        .join(ds, ds.c.id == dv.c.dataset_id)
        .where(links.c.run_id == run_id)
        .order_by(links.c.direction, links.c.role, ds.c.name, dv.c.version)
    ).all()
    return [
        {
            "ref": f"dataset:{r.name}@{r.version}",
            "dataset": r.name,
            "version": int(r.version),
            "digest": r.digest,
            "role": r.role,
            "direction": r.direction,
            "rows": None if r.row_count is None else int(r.row_count),
        }
        for r in rows
    ]


# -- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewVersion:
    """What registering a version stores (its number and card are chosen when it is written)."""

    run_id: str
    digest: str
    size: int
    flavor: str
    format: str
    class_name: str
    signature: dict[str, Any] | None
    description: str | None
    created_by: str
    tags: dict[str, str] = field(default_factory=dict)


def _get_or_create_model(conn: Connection, name: str) -> int:
    row = conn.execute(
        select(t.registered_models.c.id).where(t.registered_models.c.name == name)
    ).first()
    if row is not None:
        return int(row[0])
    result = conn.execute(insert(t.registered_models).values(name=name, created_at=time.time()))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def add_version(
    store: Store, name: str, new: NewVersion, card: Callable[[int], dict[str, Any]]
) -> int:
    """Store the next version of model ``name`` (created on first use); its number.

    ``card(number)`` builds the model card once the number is known.

    Raises:
        ConflictError: other registrations kept taking the next number.
    """
    for attempt in range(_REGISTER_ATTEMPTS):
        try:
            with store.write() as conn:
                mid = _get_or_create_model(conn, name)
                number = (_latest(conn, mid) or 0) + 1
                result = conn.execute(
                    insert(t.model_versions).values(
                        model_id=mid,
                        version=number,
                        run_id=new.run_id,
                        digest=new.digest,
                        size=new.size,
                        flavor=new.flavor,
                        format=new.format,
                        class_name=new.class_name,
                        signature=json.dumps(new.signature) if new.signature else None,
                        card=json.dumps(card(number), default=str),
                        description=new.description,
                        created_by=new.created_by,
                        created_at=time.time(),
                    )
                )
                version_id = int(result.inserted_primary_key[0])  # type: ignore[index]
                if new.tags:
                    conn.execute(
                        insert(t.model_version_tags),
                        [
                            {"version_id": version_id, "key": k, "value": v}
                            for k, v in new.tags.items()
                        ],
                    )
            return number
        except IntegrityError as exc:
            # Another writer took the same version number (PostgreSQL); take the next one.
            if attempt == _REGISTER_ATTEMPTS - 1:
                raise ConflictError(
                    f"Could not register a new version of {name!r}: other registrations "
                    "kept taking the next version number; try again.",
                    model=name,
                ) from exc
    raise AssertionError("unreachable")


def set_tag(
    store: Store, name: str, number: int | None, stage: str | None, key: str, value: str
) -> None:
    """Set tag ``key`` of the version a URI names (see :func:`resolve`)."""
    with store.write() as conn:
        row = resolve(conn, name, number, stage)
        store.insert_or_update(
            conn,
            t.model_version_tags,
            [{"version_id": row.id, "key": key, "value": value}],
            ["version_id", "key"],
            ["value"],
        )


def delete_tag(store: Store, name: str, number: int | None, stage: str | None, key: str) -> None:
    """Remove tag ``key`` of the version a URI names (nothing happens when it is not set)."""
    with store.write() as conn:
        row = resolve(conn, name, number, stage)
        conn.execute(
            delete(t.model_version_tags).where(
                t.model_version_tags.c.version_id == row.id,
                t.model_version_tags.c.key == key,
            )
        )


def move_stage(
    store: Store,
    *,
    model: int,
    stage: str,
    version_id: int,
    holder_id: int | None,
    event: promotions.NewEvent,
) -> int | None:
    """Give ``stage`` to ``version_id`` if ``holder_id`` still holds it, and record ``event``.

    Compare-and-set: the stage moves only if its holder is the one read earlier (an
    ``UPDATE ... WHERE version_id = holder``, or an ``INSERT`` the primary key refuses when
    another promotion inserted first). Returns the event's id, or None when the stage moved
    meanwhile (then nothing is written).
    """
    now = time.time()
    ms = t.model_stages
    try:
        with store.write() as conn:
            if holder_id is None:
                conn.execute(
                    insert(ms).values(
                        model_id=model, stage=stage, version_id=version_id, updated_at=now
                    )
                )
            else:
                moved = conn.execute(
                    update(ms)
                    .where(
                        ms.c.model_id == model,
                        ms.c.stage == stage,
                        ms.c.version_id == holder_id,
                    )
                    .values(version_id=version_id, updated_at=now)
                )
                if moved.rowcount != 1:
                    return None
            return promotions.insert_event(conn, event)
    except IntegrityError:
        # Another promotion inserted the first holder of this stage after we read "none".
        return None


def install_version(store: Store, v: StoredModelVersion, stages: Iterable[str]) -> None:
    """Write version ``v`` of a model into an empty ``store`` as it is, holding ``stages``.

    For a store made to carry one model elsewhere (an exported container): the version keeps
    its number, digest, signature, card and tags, so it answers as the same version there.
    """
    now = time.time()
    with store.write() as conn:
        mid = _get_or_create_model(conn, v.name)
        result = conn.execute(
            insert(t.model_versions).values(
                model_id=mid,
                version=v.version,
                run_id=v.run_id,
                digest=v.digest,
                size=v.size,
                flavor=v.flavor,
                format=v.format,
                class_name=v.class_name,
                signature=json.dumps(v.signature) if v.signature else None,
                card=json.dumps(v.card, default=str),
                description=v.description,
                created_by=v.created_by,
                created_at=v.created_at,
            )
        )
        version_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        if v.tags:
            conn.execute(
                insert(t.model_version_tags),
                [{"version_id": version_id, "key": k, "value": val} for k, val in v.tags.items()],
            )
        for stage in stages:
            conn.execute(
                insert(t.model_stages).values(
                    model_id=mid, stage=stage, version_id=version_id, updated_at=now
                )
            )
