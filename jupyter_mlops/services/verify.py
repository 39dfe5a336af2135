"""Verify the artifact store: re-hash every object and check every stored reference resolves.

Used by ``jupyter-mlops verify`` (and later the REST API). Objects are hashed one at a
time by :meth:`ObjectStore.verify`, which streams, so memory does not grow with their
size; references are streamed from the database, deduplicated there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from sqlalchemy import Connection, select, union

from jupyter_mlops.errors import ArtifactIntegrityError, MlopsUsageError, NotFoundError
from jupyter_mlops.store import Store
from jupyter_mlops.store import tables as t

Problem = Literal["corrupt", "missing"]

# Bound parameters per IN (...) query; SQLite before 3.32 allows 999.
_CHUNK = 500


@dataclass(frozen=True)
class ObjectRef:
    """A stored row pointing at an object: a run's artifact or model, or a model version."""

    kind: Literal["artifact", "model", "model version"]
    name: str
    run_id: str | None = None
    run_name: str | None = None

    def __str__(self) -> str:
        if self.kind == "model version":
            run = f" (run {self.run_id[:8]})" if self.run_id else ""
            return f"model version {self.name}{run}"
        owner = f" of run {self.run_name} ({(self.run_id or '')[:8]})" if self.run_id else ""
        return f"{self.kind} {self.name!r}{owner}"


@dataclass(frozen=True)
class ObjectProblem:
    """An object that is corrupt (content no longer matches its digest) or missing."""

    digest: str
    problem: Problem
    detail: str
    refs: tuple[ObjectRef, ...] = ()
    removed: bool = False


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify_store` checked and found."""

    artifacts_uri: str
    objects_checked: int
    bytes_checked: int
    references_checked: int
    problems: tuple[ObjectProblem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def corrupt(self) -> list[ObjectProblem]:
        return [p for p in self.problems if p.problem == "corrupt"]

    @property
    def missing(self) -> list[ObjectProblem]:
        return [p for p in self.problems if p.problem == "missing"]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the report."""
        data = asdict(self)
        data["ok"] = self.ok
        return data


def verify_store(
    store: Store,
    *,
    remove_corrupt: bool = False,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Re-hash every object and check that every artifact and model row's object exists.

    Args:
        store: the store to check.
        remove_corrupt: delete corrupt objects (the rows pointing at them then need the
            object stored again, e.g. by re-running what produced it).
        progress: called with the number of objects checked so far, after each one.

    Returns:
        The report; ``report.ok`` is true when nothing is corrupt or missing.
    """
    objects = store.objects
    corrupt: dict[str, str] = {}
    checked = size = 0
    for digest in objects.iter_digests():
        try:
            size += objects.size(digest)
            objects.verify(digest)
        except ArtifactIntegrityError as exc:
            corrupt[digest] = str(exc)
        except (NotFoundError, FileNotFoundError):
            continue  # deleted while we were walking (gc); nothing to check
        checked += 1
        if progress is not None:
            progress(checked)

    missing: dict[str, str] = {}
    references = 0
    with store.read() as conn:
        for digest in _referenced_digests(conn):
            references += 1
            if digest in corrupt:
                continue
            try:
                present = objects.exists(digest)
            except MlopsUsageError:
                missing[digest] = f"{digest!r} is not a valid digest."
                continue
            if not present:
                missing[digest] = f"Object {digest} is missing from {objects.root}."
        refs = _refs_for(conn, [*corrupt, *missing])

    if remove_corrupt:
        for digest in corrupt:
            objects.delete(digest)
    problems = [
        ObjectProblem(d, "corrupt", text, tuple(refs.get(d, ())), removed=remove_corrupt)
        for d, text in sorted(corrupt.items())
    ]
    problems += [
        ObjectProblem(d, "missing", text, tuple(refs.get(d, ())))
        for d, text in sorted(missing.items())
    ]
    return VerifyReport(
        artifacts_uri=f"{_protocol(store)}{objects.root}",
        objects_checked=checked,
        bytes_checked=size,
        references_checked=references,
        problems=tuple(problems),
    )


def _protocol(store: Store) -> str:
    protocol = store.objects.fs.protocol
    name = protocol[0] if isinstance(protocol, tuple | list) else str(protocol)
    return "" if name in ("file", "local") else f"{name}://"


def _referenced_digests(conn: Connection) -> Iterator[str]:
    """Each distinct digest that an artifact, logged model or model version points at."""
    stmt = union(
        select(t.artifacts.c.digest),
        select(t.logged_models.c.digest),
        select(t.model_versions.c.digest),
    )
    result = conn.execution_options(stream_results=True, yield_per=1000).execute(stmt)
    for (digest,) in result:
        yield str(digest)


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _refs_for(conn: Connection, digests: list[str]) -> dict[str, list[ObjectRef]]:
    """The rows pointing at each of ``digests``."""
    refs: dict[str, list[ObjectRef]] = {}
    a, m, r = t.artifacts, t.logged_models, t.runs
    mv, rm = t.model_versions, t.registered_models
    for chunk in _chunks(digests):
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
    return refs
