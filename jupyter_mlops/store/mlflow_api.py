"""The SQL behind MLflow's tracking REST API (:mod:`jupyter_mlops.services.mlflow_api`).

What the rest of the store does not already offer: experiments by id, runs created and
updated with the client's own times, a tag removed, params read before one is overwritten,
runs found by a tag key (MLflow's logged models live in tags), a registered model made
empty, and the versions holding a tag (MLflow aliases that are not stages).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, delete, insert, null, select, update
from sqlalchemy.exc import IntegrityError

from jupyter_mlops.errors import ConflictError, NotFoundError
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store
from jupyter_mlops.store.metric_chunks import compact
from jupyter_mlops.store.records import MLFLOW_DATASET
from jupyter_mlops.store.runs import (
    KILLED_ERROR,
    TERMINAL,
    get_or_create_experiment,
    write_batch,
)

__all__ = [
    "MLFLOW_DATASET",
    "DatasetInput",
    "Experiment",
    "add_dataset_inputs",
    "create_experiment",
    "create_registered_model",
    "dataset_inputs",
    "delete_experiment_tag",
    "delete_registered_model_tag",
    "delete_tag",
    "experiment",
    "experiment_ids",
    "experiments",
    "find_run_tag",
    "insert_run",
    "log_batch",
    "params_of",
    "registered_model_tags",
    "rename_experiment",
    "run_experiment_ids",
    "run_state",
    "runs_with_tag_prefix",
    "set_experiment_tags",
    "set_registered_model_tags",
    "update_run",
    "versions_with_tag",
]


@dataclass(frozen=True)
class Experiment:
    """An experiment as MLflow shows one: id, name, creation and last update (seconds), tags."""

    id: int
    name: str
    created_at: float
    last_update: float
    tags: dict[str, str] = field(default_factory=dict)


def _experiment_query() -> Any:
    e = t.experiments.c
    return select(e.id, e.name, e.created_at)


def _with_tags(conn: Connection, rows: Sequence[Any]) -> list[Experiment]:
    et = t.experiment_tags.c
    tags: dict[int, dict[str, str]] = {}
    ids = [int(r[0]) for r in rows]
    for start in range(0, len(ids), 500):
        found = conn.execute(
            select(et.experiment_id, et.key, et.value)
            .where(et.experiment_id.in_(ids[start : start + 500]))
            .order_by(et.experiment_id, et.key)
        )
        for exp_id, key, value in found:
            tags.setdefault(int(exp_id), {})[str(key)] = str(value)
    out = []
    for row in rows:
        created = float(row[2])
        out.append(
            Experiment(int(row[0]), str(row[1]), created, created, tags.get(int(row[0]), {}))
        )
    return out


def experiments(store: Store) -> list[Experiment]:
    """Every experiment, oldest first."""
    with store.read() as conn:
        rows = conn.execute(_experiment_query().order_by(t.experiments.c.id)).all()
        return _with_tags(conn, rows)


def experiment(store: Store, *, id: int | None = None, name: str | None = None) -> Experiment:
    """One experiment by id or by name.

    Raises:
        NotFoundError: no experiment has it.
    """
    stmt = _experiment_query()
    stmt = (
        stmt.where(t.experiments.c.id == id)
        if id is not None
        else stmt.where(t.experiments.c.name == name)
    )
    with store.read() as conn:
        row = conn.execute(stmt).first()
        if row is None:
            what = f"id {id}" if id is not None else f"name {name!r}"
            raise NotFoundError(f"No experiment with {what}.", experiment=id or name)
        return _with_tags(conn, [row])[0]


def create_experiment(store: Store, name: str, tags: dict[str, str] | None = None) -> int:
    """Create experiment ``name`` with ``tags``; its id.

    Raises:
        ConflictError: an experiment has that name already.
    """
    try:
        with store.write() as conn:
            result = conn.execute(insert(t.experiments).values(name=name, created_at=time.time()))
            new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            _set_experiment_tags(store, conn, new_id, tags or {})
            return new_id
    except IntegrityError:
        raise ConflictError(f"Experiment {name!r} already exists.", experiment=name) from None


def _set_experiment_tags(store: Store, conn: Connection, id: int, tags: dict[str, str]) -> None:
    rows = [{"experiment_id": id, "key": k, "value": v} for k, v in tags.items()]
    store.insert_or_update(conn, t.experiment_tags, rows, ["experiment_id", "key"], ["value"])


def set_experiment_tags(store: Store, id: int, tags: dict[str, str]) -> None:
    """Set (or replace) tags of experiment ``id``."""
    with store.write() as conn:
        _set_experiment_tags(store, conn, id, tags)


def delete_experiment_tag(store: Store, id: int, key: str) -> bool:
    """Remove tag ``key`` of experiment ``id``; whether it had one."""
    et = t.experiment_tags.c
    with store.write() as conn:
        gone = conn.execute(
            delete(t.experiment_tags).where(et.experiment_id == id, et.key == key)
        ).rowcount
    return bool(gone)


def rename_experiment(store: Store, id: int, name: str) -> None:
    """Rename experiment ``id``.

    Raises:
        ConflictError: another experiment has that name.
    """
    try:
        with store.write() as conn:
            conn.execute(update(t.experiments).where(t.experiments.c.id == id).values(name=name))
    except IntegrityError:
        raise ConflictError(f"Experiment {name!r} already exists.", experiment=name) from None


def experiment_ids(store: Store, names: Iterable[str]) -> dict[str, int]:
    """Experiment name -> id for those of ``names`` the store has."""
    wanted = list(set(names))
    if not wanted:
        return {}
    e = t.experiments.c
    with store.read() as conn:
        return {
            str(n): int(i) for n, i in conn.execute(select(e.name, e.id).where(e.name.in_(wanted)))
        }


def run_experiment_ids(store: Store, run_ids: Iterable[str]) -> dict[str, int]:
    """Run id -> its experiment's id."""
    ids = list(run_ids)
    if not ids:
        return {}
    r = t.runs.c
    with store.read() as conn:
        return {
            str(i): int(e)
            for i, e in conn.execute(select(r.id, r.experiment_id).where(r.id.in_(ids)))
        }


def insert_run(store: Store, row: dict[str, Any], tags: dict[str, str]) -> None:
    """Insert run ``row`` (``experiment_id`` included) with its first tags."""
    with store.write() as conn:
        conn.execute(insert(t.runs).values(**row))
        if tags:
            conn.execute(
                insert(t.tags),
                [{"run_id": row["id"], "key": k, "value": v} for k, v in tags.items()],
            )


def ensure_experiment(store: Store, name: str) -> int:
    """The id of experiment ``name``, created when missing."""
    with store.write() as conn:
        return get_or_create_experiment(conn, name)


def update_run(store: Store, run_id: str, values: dict[str, Any]) -> None:
    """Set columns of run ``run_id`` (status, end time, name, heartbeat); a run that ends has
    its histories compacted (an MLflow client logs a point per request)."""
    with store.write() as conn:
        conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(**values))
        if values.get("status") in TERMINAL:
            compact(conn, run_id)


def log_batch(
    store: Store,
    run_id: str,
    *,
    params: dict[str, str],
    tags: dict[str, str],
    metrics: list[tuple[str, int, float, float]],
    run: dict[str, Any] | None = None,
    active: bool = False,
) -> tuple[bool, float | None]:
    """Write params, tags, metric points and the ``run`` columns (name, parent) of run
    ``run_id`` and beat its heart, at once; (whether the run exists, when it was deleted or
    None), as :func:`run_state` says.

    Nothing is written to a run that does not exist, nor (``active``) to a deleted one: the
    heartbeat is the first statement and finds the run, so a batch costs no read of its own.
    A run a reader marked killed for its silence (a remote client has no heartbeat of its
    own, only its writes) is running again: its client is plainly alive.
    """
    with store.write() as conn:
        beat = _BEAT_ACTIVE if active else _BEAT
        if not conn.execute(beat, {"run": run_id, "now": time.time()}).rowcount:
            row = conn.execute(select(t.runs.c.deleted_at).where(t.runs.c.id == run_id)).first()
            return (False, None) if row is None else (True, row[0])
        if run:
            conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(**run))
        write_batch(store, conn, run_id, params=params, tags=tags, metrics=metrics)
    return True, None


def _beat(*, active: bool) -> Any:
    """The heartbeat of a run written by a remote client, in one statement (each SET reads
    the row as it was): a run killed for its silence, not by us, is running again.
    ``active``: a deleted run is left alone (the statement matches no row)."""
    r = t.runs.c
    revived = and_(r.status == "killed", r.error == KILLED_ERROR, r.pid.is_(None))
    found = [r.id == bindparam("run")] + ([r.deleted_at.is_(None)] if active else [])
    return (
        update(t.runs)
        .where(*found)
        .values(
            heartbeat=bindparam("now"),
            status=case((revived, "running"), else_=r.status),
            end_time=case((revived, null()), else_=r.end_time),
            error=case((revived, null()), else_=r.error),
        )
    )


_BEAT, _BEAT_ACTIVE = _beat(active=False), _beat(active=True)


def delete_tag(store: Store, run_id: str, key: str) -> bool:
    """Remove tag ``key`` of run ``run_id``; whether it was there."""
    with store.write() as conn:
        gone = conn.execute(delete(t.tags).where(t.tags.c.run_id == run_id, t.tags.c.key == key))
    return bool(gone.rowcount)


def params_of(store: Store, run_id: str, keys: Iterable[str]) -> dict[str, str]:
    """The values run ``run_id`` has for the params ``keys``."""
    wanted = list(set(keys))
    if not wanted:
        return {}
    p = t.params.c
    with store.read() as conn:
        rows = conn.execute(select(p.key, p.value).where(p.run_id == run_id, p.key.in_(wanted)))
        return {str(k): str(v) for k, v in rows}


def run_state(store: Store, run_id: str) -> tuple[bool, float | None]:
    """(whether run ``run_id`` exists, when it was deleted or None)."""
    with store.read() as conn:
        row = conn.execute(select(t.runs.c.deleted_at).where(t.runs.c.id == run_id)).first()
    return (False, None) if row is None else (True, row[0])


def find_run_tag(store: Store, key: str) -> tuple[str, str] | None:
    """(run id, value) of the run holding tag ``key``, if one does."""
    with store.read() as conn:
        row = conn.execute(
            select(t.tags.c.run_id, t.tags.c.value).where(t.tags.c.key == key).limit(1)
        ).first()
    return None if row is None else (str(row[0]), str(row[1]))


def runs_with_tag_prefix(store: Store, prefix: str) -> list[tuple[str, str, str]]:
    """(run id, key, value) of every tag whose key starts with ``prefix``."""
    tg = t.tags.c
    with store.read() as conn:
        rows = conn.execute(
            select(tg.run_id, tg.key, tg.value)
            .where(tg.key.startswith(prefix, autoescape=True))
            .order_by(tg.run_id, tg.key)
        )
        return [(str(r), str(k), str(v)) for r, k, v in rows]


def create_registered_model(
    store: Store, name: str, description: str | None, tags: dict[str, str] | None = None
) -> None:
    """Create registered model ``name`` without versions, with ``tags``.

    Raises:
        ConflictError: a model has that name already.
    """
    try:
        with store.write() as conn:
            result = conn.execute(
                insert(t.registered_models).values(
                    name=name, description=description or None, created_at=time.time()
                )
            )
            model_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            _set_model_tags(store, conn, model_id, tags or {})
    except IntegrityError:
        raise ConflictError(f"Registered model {name!r} already exists.", model=name) from None


def _set_model_tags(store: Store, conn: Connection, model_id: int, tags: dict[str, str]) -> None:
    rows = [{"model_id": model_id, "key": k, "value": v} for k, v in tags.items()]
    store.insert_or_update(conn, t.registered_model_tags, rows, ["model_id", "key"], ["value"])


def _model_id(conn: Connection, name: str) -> int:
    rm = t.registered_models.c
    found = conn.execute(select(rm.id).where(rm.name == name)).scalar()
    if found is None:
        raise NotFoundError(f"No registered model {name!r}.", model=name)
    return int(found)


def set_registered_model_tags(store: Store, name: str, tags: dict[str, str]) -> None:
    """Set (or replace) tags of registered model ``name``.

    Raises:
        NotFoundError: no registered model has that name.
    """
    with store.write() as conn:
        _set_model_tags(store, conn, _model_id(conn, name), tags)


def delete_registered_model_tag(store: Store, name: str, key: str) -> bool:
    """Remove tag ``key`` of registered model ``name``; whether it had one.

    Raises:
        NotFoundError: no registered model has that name.
    """
    rt = t.registered_model_tags.c
    with store.write() as conn:
        model_id = _model_id(conn, name)
        gone = conn.execute(
            delete(t.registered_model_tags).where(rt.model_id == model_id, rt.key == key)
        ).rowcount
    return bool(gone)


def registered_model_tags(store: Store, names: Iterable[str]) -> dict[str, dict[str, str]]:
    """Model name -> its tags, for those of ``names`` that have any."""
    wanted = list(set(names))
    if not wanted:
        return {}
    rm, rt = t.registered_models.c, t.registered_model_tags.c
    out: dict[str, dict[str, str]] = {}
    with store.read() as conn:
        rows = conn.execute(
            select(rm.name, rt.key, rt.value)
            .join_from(t.registered_model_tags, t.registered_models, rt.model_id == rm.id)
            .where(rm.name.in_(wanted))
            .order_by(rm.name, rt.key)
        )
        for name, key, value in rows:
            out.setdefault(str(name), {})[str(key)] = str(value)
    return out


def describe_registered_model(store: Store, name: str, description: str | None) -> None:
    """Set the description of registered model ``name``."""
    rm = t.registered_models
    with store.write() as conn:
        done = conn.execute(update(rm).where(rm.c.name == name).values(description=description))
    if not done.rowcount:
        raise NotFoundError(f"No registered model {name!r}.", model=name)


def registered_model_names(store: Store) -> list[tuple[str, str | None, float]]:
    """(name, description, created at) of every registered model, by name."""
    rm = t.registered_models.c
    with store.read() as conn:
        rows = conn.execute(select(rm.name, rm.description, rm.created_at).order_by(rm.name))
        return [(str(n), d, float(c)) for n, d, c in rows]


def versions_with_tag(store: Store, name: str, key: str) -> list[int]:
    """The version numbers of model ``name`` holding tag ``key``."""
    mv, rm, tg = t.model_versions.c, t.registered_models.c, t.model_version_tags.c
    with store.read() as conn:
        rows = conn.execute(
            select(mv.version)
            .select_from(
                t.model_versions.join(t.registered_models, rm.id == mv.model_id).join(
                    t.model_version_tags, tg.version_id == mv.id
                )
            )
            .where(rm.name == name, tg.key == key)
        )
        return [int(v) for (v,) in rows]


#: The input tag holding a dataset's context (training, evaluation...): the input's role.
CONTEXT_TAG = "mlflow.data.context"


@dataclass(frozen=True)
class DatasetInput:
    """A dataset an MLflow client logged as a run's input, with the input's tags."""

    name: str
    digest: str
    source_type: str = ""
    source: str = ""
    schema: str | None = None
    profile: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def context(self) -> str:
        """The input's role: its ``mlflow.data.context`` tag (the role column holds 32
        characters; the whole context stays in the tags)."""
        return self.tags.get(CONTEXT_TAG, "")[:32]


def add_dataset_inputs(store: Store, run_id: str, inputs: Iterable[DatasetInput]) -> int:
    """Record ``inputs`` of run ``run_id`` (one already there, same name, digest and context,
    is not repeated); how many were added."""
    ri = t.run_inputs.c
    added = 0
    with store.write() as conn:
        have = {
            (str(s), str(d), str(r))
            for s, d, r in conn.execute(
                select(ri.source, ri.digest, ri.role).where(
                    ri.run_id == run_id, ri.kind == MLFLOW_DATASET
                )
            )
        }
        rows = []
        for item in inputs:
            key = (item.name, item.digest, item.context)
            if key in have:
                continue
            have.add(key)
            info = {
                "source_type": item.source_type,
                "source": item.source,
                "schema": item.schema,
                "profile": item.profile,
                "tags": item.tags,
            }
            rows.append(
                {
                    "run_id": run_id,
                    "role": item.context,
                    "kind": MLFLOW_DATASET,
                    "source": item.name,
                    "digest": item.digest,
                    "size": None,
                    "info": json.dumps(info, sort_keys=True),
                    "created_at": time.time(),
                }
            )
        if rows:
            conn.execute(insert(t.run_inputs), rows)
            added = len(rows)
    return added


def dataset_inputs(store: Store, run_ids: Iterable[str]) -> dict[str, list[DatasetInput]]:
    """Run id -> the datasets an MLflow client logged as its inputs, in the order logged."""
    ids = list(set(run_ids))
    ri = t.run_inputs.c
    out: dict[str, list[DatasetInput]] = {}
    with store.read() as conn:
        for start in range(0, len(ids), 500):
            rows = conn.execute(
                select(ri.run_id, ri.source, ri.digest, ri.info)
                .where(ri.run_id.in_(ids[start : start + 500]), ri.kind == MLFLOW_DATASET)
                .order_by(ri.id)
            )
            for run_id, name, digest, info in rows:
                extra = json.loads(info or "{}")
                out.setdefault(str(run_id), []).append(
                    DatasetInput(
                        name=str(name),
                        digest=str(digest),
                        source_type=str(extra.get("source_type") or ""),
                        source=str(extra.get("source") or ""),
                        schema=extra.get("schema"),
                        profile=extra.get("profile"),
                        tags=dict(extra.get("tags") or {}),
                    )
                )
    return out
