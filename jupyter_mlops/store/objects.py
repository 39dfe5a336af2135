"""Every object the store's records point at, and who points at each.

The one list of references that ``gc`` (what to keep) and ``verify`` (what must be present)
share: run artifacts (git diffs included), logged models, model versions and dataset
versions need their objects; run inputs and run notebooks are fingerprints whose objects
are kept when they exist. A folder dataset version points at a manifest object that lists
the folder's files; :func:`folder_versions` names those manifests so the caller can expand
them (the manifest format belongs to ``data``, above the store).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Select, literal, select, union, union_all

from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store

RefKind = Literal[
    "artifact",
    "model",
    "model version",
    "dataset version",
    "dataset file",
    "run input",
    "run notebook",
]

# Bound parameters per IN (...) query; SQLite before 3.32 allows 999.
_CHUNK = 500


@dataclass(frozen=True)
class ObjectRef:
    """A record pointing at an object: what kind, its name, and the run it belongs to."""

    kind: RefKind
    name: str
    run_id: str | None = None
    run_name: str | None = None


@dataclass(frozen=True)
class FolderVersion:
    """A folder dataset version: its manifest object's digest and ``name vN``."""

    digest: str
    name: str
    run_id: str | None


def _required() -> Select[tuple[str]]:
    return union(
        select(t.artifacts.c.digest),
        select(t.logged_models.c.digest),
        select(t.model_versions.c.digest),
        select(t.dataset_versions.c.digest),
        select(t.inference_batches.c.digest),  # served traffic and labels
    )  # type: ignore[return-value]


def _fingerprints() -> Select[tuple[str]]:
    r = t.runs
    return union(
        select(t.run_inputs.c.digest),
        select(r.c.notebook_digest).where(r.c.notebook_digest.is_not(None)),
    )  # type: ignore[return-value]


def row_digests(store: Store) -> Iterator[str]:
    """Each distinct digest whose object a record needs: artifacts, logged models, model
    and dataset versions (a folder version's files are listed by its manifest), streamed."""
    yield from _stream(store, _required())


def fingerprint_digests(store: Store) -> Iterator[str]:
    """Each distinct digest a run recorded as a fingerprint (its inputs, its notebook).

    The run does not store these bytes itself, so their objects need not exist; when one
    does (the same data logged as a dataset or artifact), it is kept.
    """
    yield from _stream(store, _fingerprints())


def _stream(store: Store, query: Select[tuple[str]]) -> Iterator[str]:
    with store.read() as conn:
        result = conn.execution_options(stream_results=True, yield_per=1000).execute(query)
        for (digest,) in result:
            yield str(digest)


def folder_versions(store: Store) -> list[FolderVersion]:
    """The folder dataset versions, whose manifests list more referenced objects."""
    dv, d = t.dataset_versions, t.datasets
    with store.read() as conn:
        rows = conn.execute(
            select(dv.c.digest, d.c.name, dv.c.version, dv.c.run_id)
            .join(d, d.c.id == dv.c.dataset_id)
            .where(dv.c.kind == "folder")
            .order_by(d.c.name, dv.c.version)
        ).all()
    return [FolderVersion(str(dig), f"{name} v{ver}", run_id) for dig, name, ver, run_id in rows]


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def owners(store: Store, digests: Iterable[str]) -> dict[str, list[ObjectRef]]:
    """The records pointing at each of ``digests`` (folder members excepted), in a stable order."""
    refs: dict[str, list[ObjectRef]] = {}
    a, m, r, inp = t.artifacts, t.logged_models, t.runs, t.run_inputs
    mv, rm = t.model_versions, t.registered_models
    dv, d = t.dataset_versions, t.datasets
    wanted = sorted(set(digests))
    with store.read() as conn:
        for chunk in _chunks(wanted):
            for digest, path, run_id, run_name in conn.execute(
                select(a.c.digest, a.c.path, r.c.id, r.c.name)
                .join(r, r.c.id == a.c.run_id)
                .where(a.c.digest.in_(chunk))
                .order_by(r.c.start_time, r.c.id, a.c.path)
            ):
                refs.setdefault(digest, []).append(ObjectRef("artifact", path, run_id, run_name))
            for digest, name, run_id, run_name in conn.execute(
                select(m.c.digest, m.c.name, r.c.id, r.c.name)
                .join(r, r.c.id == m.c.run_id)
                .where(m.c.digest.in_(chunk))
                .order_by(r.c.start_time, r.c.id, m.c.name)
            ):
                refs.setdefault(digest, []).append(ObjectRef("model", name, run_id, run_name))
            for digest, name, version, run_id in conn.execute(
                select(mv.c.digest, rm.c.name, mv.c.version, mv.c.run_id)
                .join(rm, rm.c.id == mv.c.model_id)
                .where(mv.c.digest.in_(chunk))
                .order_by(rm.c.name, mv.c.version)
            ):
                refs.setdefault(digest, []).append(
                    ObjectRef("model version", f"{name} v{version}", run_id)
                )
            for digest, name, version, run_id in conn.execute(
                select(dv.c.digest, d.c.name, dv.c.version, dv.c.run_id)
                .join(d, d.c.id == dv.c.dataset_id)
                .where(dv.c.digest.in_(chunk))
                .order_by(d.c.name, dv.c.version)
            ):
                refs.setdefault(digest, []).append(
                    ObjectRef("dataset version", f"{name} v{version}", run_id)
                )
            for digest, role, source, run_id, run_name in conn.execute(
                select(inp.c.digest, inp.c.role, inp.c.source, r.c.id, r.c.name)
                .join(r, r.c.id == inp.c.run_id)
                .where(inp.c.digest.in_(chunk))
                .order_by(r.c.start_time, r.c.id, inp.c.id)
            ):
                refs.setdefault(digest, []).append(
                    ObjectRef("run input", f"{role} {source}", run_id, run_name)
                )
            for digest, run_id, run_name in conn.execute(
                select(r.c.notebook_digest, r.c.id, r.c.name)
                .where(r.c.notebook_digest.in_(chunk))
                .order_by(r.c.start_time, r.c.id)
            ):
                refs.setdefault(digest, []).append(
                    ObjectRef("run notebook", run_name, run_id, run_name)
                )
    return refs


def first_name(store: Store, digest: str) -> tuple[str | None, str | None]:
    """A (path, media type) recorded for ``digest``, if any: the first recorded one.

    Ordered, so every backend names a download alike (without ORDER BY, PostgreSQL and
    SQLite may each return a different row when several runs logged the same bytes).
    """
    a = t.artifacts
    lm, dv = t.logged_models, t.dataset_versions
    with store.read() as conn:
        row = conn.execute(
            select(a.c.path, a.c.media_type)
            .where(a.c.digest == digest)
            .order_by(a.c.created_at, a.c.run_id, a.c.path)
            .limit(1)
        ).first()
        if row is not None:
            return str(row.path), str(row.media_type)
        named = union_all(
            select(lm.c.name.label("name"), literal(0).label("kind"), lm.c.id.label("id")).where(
                lm.c.digest == digest
            ),
            select(dv.c.source_path, literal(1), dv.c.id).where(dv.c.digest == digest),
        ).subquery()
        found = conn.execute(
            select(named.c.name).order_by(named.c.kind, named.c.id).limit(1)
        ).first()
    return (str(found[0]) if found and found[0] else None), None
