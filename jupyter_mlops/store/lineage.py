"""Reading what lineage follows: runs, dataset versions, inputs, model versions, promotions
and the pipeline runs a monitor triggered.

Every read of one lineage graph goes through one :class:`LineageReader` (one read
transaction, from :func:`reading`), which answers with the plain rows below.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, func, select

from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.store import runs as q
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store
from jupyter_mlops.store.order import code_point

LinkDirection = Literal["input", "output"]


@dataclass(frozen=True)
class RunRow:
    """A run as lineage shows it."""

    id: str
    name: str
    status: str
    experiment: str
    start_time: float


@dataclass(frozen=True)
class DatasetVersionRow:
    """A dataset version as lineage shows it (``run_id``: the run that produced it)."""

    id: int
    name: str
    version: int
    digest: str
    row_count: int | None
    source_path: str | None
    run_id: str | None


@dataclass(frozen=True)
class ModelVersionRow:
    """A model version with the stages it holds now (in code-point order)."""

    id: int
    name: str
    version: int
    class_name: str
    digest: str
    run_id: str | None
    stages: list[str]


@dataclass(frozen=True)
class InputRow:
    """Something a run read: a file or a frame fingerprint."""

    role: str
    kind: str
    source: str
    digest: str


@dataclass(frozen=True)
class PromotionRow:
    """A promotion that moved a stage to a version."""

    id: int
    stage: str
    from_version: int | None
    to_version: int
    user_name: str | None
    created_at: float
    reason: str | None


@dataclass(frozen=True)
class PipelineRunRow:
    """A pipeline run (``trigger_run_id``: the monitor run that triggered it, if any)."""

    id: str
    name: str
    status: str
    env: str | None
    trigger: str | None
    started: float
    trigger_run_id: str | None


def _pipeline_run(row: Any) -> PipelineRunRow:
    return PipelineRunRow(
        id=row.id,
        name=row.name,
        status=row.status,
        env=row.env,
        trigger=row.trigger,
        started=row.started,
        trigger_run_id=row.trigger_run_id,
    )


class LineageReader:
    """The reads lineage makes, inside one read transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- runs ------------------------------------------------------------------

    def run(self, run_id: str) -> RunRow | None:
        """Run ``run_id`` with its experiment's name; None when it was deleted."""
        row = self._conn.execute(
            select(
                t.runs.c.id,
                t.runs.c.name,
                t.runs.c.status,
                t.runs.c.start_time,
                t.experiments.c.name.label("experiment"),
            )
            .join(t.experiments, t.experiments.c.id == t.runs.c.experiment_id)
            .where(t.runs.c.id == run_id)
        ).first()
        if row is None:
            return None
        return RunRow(row.id, row.name, row.status, row.experiment, row.start_time)

    def resolve_run(self, ref: str) -> str:
        """The id of the run ``ref`` names: a full id, a unique prefix or a name."""
        return q.resolve_run_id(self._conn, ref)

    def run_inputs(self, run_id: str) -> list[InputRow]:
        """The files and frames run ``run_id`` read, in the order it read them."""
        ri = t.run_inputs
        rows = self._conn.execute(
            select(ri.c.role, ri.c.kind, ri.c.source, ri.c.digest)
            .where(ri.c.run_id == run_id)
            .order_by(ri.c.id)
        )
        return [InputRow(r.role, r.kind, r.source, r.digest) for r in rows]

    def runs_using_digest(self, digest: str) -> list[tuple[str, str]]:
        """``(run id, role)`` of every run that read data with ``digest``, by run id."""
        ri = t.run_inputs
        rows = self._conn.execute(
            select(ri.c.run_id, ri.c.role)
            .where(ri.c.digest == digest)
            .distinct()
            .order_by(ri.c.run_id)
        )
        return [(str(run_id), str(role)) for run_id, role in rows]

    def input_with_digest(self, digest: str) -> InputRow | None:
        """One input any run read with ``digest`` (None when no run did)."""
        ri = t.run_inputs
        row = self._conn.execute(
            select(ri.c.role, ri.c.kind, ri.c.source, ri.c.digest).where(ri.c.digest == digest)
        ).first()
        return None if row is None else InputRow(row.role, row.kind, row.source, row.digest)

    # -- dataset versions ------------------------------------------------------

    def _dataset_versions(self, where: Any) -> list[DatasetVersionRow]:
        dv, ds = t.dataset_versions, t.datasets
        rows = self._conn.execute(
            select(dv, ds.c.name.label("dataset"))
            .join(ds, ds.c.id == dv.c.dataset_id)
            .where(where)
            .order_by(ds.c.name, dv.c.version)
        )
        return [
            DatasetVersionRow(
                id=int(r.id),
                name=r.dataset,
                version=int(r.version),
                digest=r.digest,
                row_count=r.row_count,
                source_path=r.source_path,
                run_id=r.run_id,
            )
            for r in rows
        ]

    def dataset_versions_by_id(self, ids: Iterable[int]) -> list[DatasetVersionRow]:
        """The dataset versions with these ids, by dataset name and version."""
        return self._dataset_versions(t.dataset_versions.c.id.in_(list(ids)))

    def dataset_versions_by_digest(self, digests: Iterable[str]) -> list[DatasetVersionRow]:
        """The dataset versions whose content has one of ``digests``."""
        return self._dataset_versions(t.dataset_versions.c.digest.in_(list(digests)))

    def dataset_versions_of_run(self, run_id: str, ids: Iterable[int]) -> list[DatasetVersionRow]:
        """The versions run ``run_id`` produced, and those with ``ids`` (its linked outputs)."""
        dv = t.dataset_versions
        return self._dataset_versions((dv.c.run_id == run_id) | dv.c.id.in_(list(ids)))

    def dataset_exists(self, name: str) -> bool:
        """Whether a dataset is called ``name``."""
        found = self._conn.execute(select(t.datasets.c.id).where(t.datasets.c.name == name))
        return found.first() is not None

    def dataset_version(self, name: str, version: int | None) -> DatasetVersionRow:
        """Version ``version`` of dataset ``name`` (its latest when None).

        Raises:
            NotFoundError: no such dataset or version.
        """
        dv, ds = t.dataset_versions, t.datasets
        did = self._conn.execute(select(ds.c.id).where(ds.c.name == name)).scalar()
        if did is None:
            raise NotFoundError(f"No dataset {name!r}.", dataset=name)
        number = version
        if number is None:
            latest = select(func.max(dv.c.version)).where(dv.c.dataset_id == did)
            number = self._conn.execute(latest).scalar()
        found = self._dataset_versions((dv.c.dataset_id == did) & (dv.c.version == number))
        if not found:
            shown = "" if version is None else f" {version}"
            raise NotFoundError(f"Dataset {name!r} has no version{shown}.")
        return found[0]

    def dataset_links_of_run(self, run_id: str, direction: LinkDirection) -> list[tuple[str, int]]:
        """``(role, version id)`` of the dataset versions linked to run ``run_id``."""
        links = t.run_dataset_links
        rows = self._conn.execute(
            select(links.c.role, links.c.version_id).where(
                links.c.run_id == run_id, links.c.direction == direction
            )
        )
        return [(str(role), int(vid)) for role, vid in rows]

    def run_links_of_version(
        self, version_id: int, direction: LinkDirection
    ) -> list[tuple[str, str]]:
        """``(run id, role)`` of the runs linked to dataset version ``version_id``."""
        links = t.run_dataset_links
        rows = self._conn.execute(
            select(links.c.run_id, links.c.role).where(
                links.c.version_id == version_id, links.c.direction == direction
            )
        )
        return [(str(run_id), str(role)) for run_id, role in rows]

    # -- model versions and promotions -----------------------------------------

    def _stages(self, version_ids: list[int]) -> dict[int, list[str]]:
        ms = t.model_stages
        rows = self._conn.execute(
            select(ms.c.version_id, ms.c.stage)
            .where(ms.c.version_id.in_(version_ids))
            .order_by(code_point(ms.c.stage))
        )
        held: dict[int, list[str]] = {}
        for vid, stage in rows:
            held.setdefault(int(vid), []).append(str(stage))
        return held

    def model_versions_of_run(self, run_id: str) -> list[ModelVersionRow]:
        """The model versions registered from run ``run_id``, by model name and version."""
        mv, rm = t.model_versions, t.registered_models
        rows = self._conn.execute(
            select(mv.c.id, mv.c.version, mv.c.class_name, mv.c.digest, mv.c.run_id, rm.c.name)
            .join(rm, rm.c.id == mv.c.model_id)
            .where(mv.c.run_id == run_id)
            .order_by(rm.c.name, mv.c.version)
        ).all()
        held = self._stages([int(r.id) for r in rows])
        return [
            ModelVersionRow(
                id=int(r.id),
                name=r.name,
                version=int(r.version),
                class_name=r.class_name,
                digest=r.digest,
                run_id=r.run_id,
                stages=held.get(int(r.id), []),
            )
            for r in rows
        ]

    def promotions_to(self, version_id: int) -> list[PromotionRow]:
        """The promotions that moved a stage to model version ``version_id``, oldest first."""
        pe, mv = t.promotion_events, t.model_versions
        rows = self._conn.execute(
            select(pe)
            .join(mv, (mv.c.model_id == pe.c.model_id) & (mv.c.version == pe.c.to_version))
            .where(mv.c.id == version_id, pe.c.outcome == "promoted")
            .order_by(pe.c.id)
        )
        return [
            PromotionRow(
                id=int(r.id),
                stage=r.stage,
                from_version=r.from_version,
                to_version=int(r.to_version),
                user_name=r.user_name,
                created_at=r.created_at,
                reason=r.reason,
            )
            for r in rows
        ]

    # -- pipeline runs a monitor triggered --------------------------------------

    def pipeline_run(self, pipeline_run_id: str) -> PipelineRunRow | None:
        """Pipeline run ``pipeline_run_id`` (None when there is none)."""
        pr = t.pipeline_runs
        row = self._conn.execute(select(pr).where(pr.c.id == pipeline_run_id)).first()
        return None if row is None else _pipeline_run(row)

    def pipeline_runs_triggered_by(self, run_id: str) -> list[PipelineRunRow]:
        """The pipeline runs monitor run ``run_id`` triggered, by start time."""
        pr = t.pipeline_runs
        rows = self._conn.execute(
            select(pr).where(pr.c.trigger_run_id == run_id).order_by(pr.c.started)
        )
        return [_pipeline_run(r) for r in rows]

    # -- reproductions ------------------------------------------------------------

    def reproductions_of(self, run_id: str) -> list[tuple[str, str]]:
        """``(reproduction run id, verdict)`` of each re-execution of run ``run_id``, oldest
        first (a reproduction refused before it ran has no run and is left out)."""
        r = t.reproductions
        rows = self._conn.execute(
            select(r.c.reproduction_run_id, r.c.verdict)
            .where(r.c.run_id == run_id, r.c.reproduction_run_id.is_not(None))
            .order_by(r.c.id)
        )
        return [(str(row.reproduction_run_id), str(row.verdict)) for row in rows]

    def reproduced_run(self, reproduction_run_id: str) -> tuple[str, str] | None:
        """``(original run id, verdict)`` when run ``reproduction_run_id`` re-executed one."""
        r = t.reproductions
        row = self._conn.execute(
            select(r.c.run_id, r.c.verdict).where(r.c.reproduction_run_id == reproduction_run_id)
        ).first()
        return None if row is None else (str(row.run_id), str(row.verdict))


@contextmanager
def reading(store: Store) -> Iterator[LineageReader]:
    """A :class:`LineageReader` over one read transaction of ``store``."""
    with store.read() as conn:
        yield LineageReader(conn)
