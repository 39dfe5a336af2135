"""Looking after the store: doctor's checks, verify's and gc's reports, store info and migrate."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from jupyter_mlops.services.schema.base import Response

ObjectProblemKind = Literal["corrupt", "missing"]
OwnerKind = Literal[
    "artifact",
    "model",
    "model version",
    "dataset version",
    "dataset file",
    "run input",
    "run notebook",
]


class ObjectOwner(Response):
    """A record pointing at an object: a run's artifact, model, input or notebook, a model
    version, a dataset version, or a file of a folder dataset version."""

    kind: OwnerKind
    name: str = Field(description="the artifact's path, `model v3`, `dataset v2: file/path`, ...")
    run_id: str | None
    run_name: str | None

    def __str__(self) -> str:
        if self.kind in ("model version", "dataset version", "dataset file"):
            run = f" (run {self.run_id[:8]})" if self.run_id else ""
            return f"{self.kind} {self.name}{run}"
        owner = f" of run {self.run_name} ({(self.run_id or '')[:8]})" if self.run_id else ""
        return f"{self.kind} {self.name!r}{owner}"


class ObjectProblem(Response):
    """An object that is corrupt (its content no longer matches its digest) or missing."""

    digest: str
    problem: ObjectProblemKind
    detail: str
    refs: list[ObjectOwner]
    removed: bool = Field(description="deleted by --remove-corrupt")


class ForeignEntry(Response):
    """Something in the object store's folder that the store did not write as an object (a
    link, a device, a folder where an object belongs): reported, never read, changed or
    deleted; remove it by hand if you did not put it there."""

    path: str
    kind: str = Field(description="`a link`, `a folder`, `not a regular file`")


class TemporaryFile(Response):
    """A partial write a writer left in the object store's ``tmp/`` (a killed process)."""

    path: str
    bytes: int
    age_seconds: float
    removed: bool = Field(description="deleted by `gc --yes` (older than its threshold)")


class VerifyReport(Response):
    """What ``verify`` checked and found; ``ok`` is false when anything is corrupt, missing or
    foreign, or the database is damaged."""

    ok: bool
    database: str = Field(description="the database check: SQLite's quick_check, or the schema")
    artifacts_uri: str
    objects_checked: int
    bytes_checked: int
    references_checked: int
    problems: list[ObjectProblem]
    foreign: list[ForeignEntry]
    temporaries: list[TemporaryFile] = Field(
        description="partial writes left behind; `gc --yes` removes the old ones"
    )

    @property
    def corrupt(self) -> list[ObjectProblem]:
        return [p for p in self.problems if p.problem == "corrupt"]

    @property
    def missing(self) -> list[ObjectProblem]:
        return [p for p in self.problems if p.problem == "missing"]


class GcReport(Response):
    """Unreferenced objects found (deleted when ``deleted``), young ones kept, temporaries."""

    orphans: list[str] = Field(description="digests of unreferenced objects old enough to go")
    count: int
    bytes: int
    young_kept: int = Field(description="unreferenced objects kept because they are young")
    deleted: bool
    temporaries: list[TemporaryFile]
    foreign: list[ForeignEntry] = Field(description="never touched: remove them by hand")
    purged_runs: list[str] = Field(
        default_factory=list,
        description="deleted runs past the retention period: purged when ``deleted``, else "
        "those that would be",
    )
    runs_kept_for_models: list[str] = Field(
        default_factory=list,
        description="deleted runs past retention kept because a model version was made from them",
    )


class DoctorCheck(Response):
    """One check: what was checked, whether it passed, and why."""

    name: str
    ok: bool
    detail: str


class DoctorSetting(Response):
    """A setting and where its value came from."""

    key: str
    value: str
    source: str = Field(description="`env MLOPS_...`, a pyproject.toml, or `default`")


class PackageVersion(Response):
    """An installed package's version (null: not installed)."""

    name: str
    version: str | None


class DoctorReport(Response):
    """Where the store is, where each setting came from, versions, and the checks."""

    ok: bool
    root: str
    store_uri: str
    artifacts_uri: str
    schema_revision: str = Field(description="the store's revision and the newest one")
    runs: str | None = Field(description="runs by status; null when the store is not opened")
    configuration: list[DoctorSetting]
    versions: list[PackageVersion]
    checks: list[DoctorCheck]


class StoreInfo(Response):
    """The store's database, schema revision, artifact store and record counts."""

    uri: str
    dialect: str
    revision: str | None
    artifacts: str
    counts: dict[str, int]


class TableCopyInfo(Response):
    """What ``store migrate`` did with the rows of one table."""

    table: str
    copied: int
    present: int
    merged: int
    renumbered: int
    skipped: int
    updated: int


class StoreMigration(Response):
    """What ``store migrate`` copied, merged, renumbered and kept."""

    source: str
    target: str
    artifacts: str
    source_store_id: str
    tables: list[TableCopyInfo]
    renumbered: list[str]
    skipped: list[str]
    objects_copied: int
    objects_present: int
    bytes_copied: int
    rows_copied: int
    rows_merged: int
