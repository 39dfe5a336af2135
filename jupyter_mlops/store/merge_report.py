"""What ``store migrate`` did, per table and in the lines a user should read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class TableCopy:
    """Rows of one table: copied now, already there from an earlier run, merged onto a
    record the target had (same name, content or artifact), renumbered (a subset of copied),
    skipped (the target's own wins), or updated (a run, or its latest metric, that went on
    in the source since the last migration; a subset of already there)."""

    table: str
    copied: int = 0
    present: int = 0
    merged: int = 0
    renumbered: int = 0
    skipped: int = 0
    updated: int = 0

    @property
    def touched(self) -> bool:
        """Whether the source had rows in this table at all."""
        return any((self.copied, self.present, self.merged, self.skipped))

    def line(self) -> str:
        text = f"{self.table}: {self.copied} copied, {self.present} already there"
        for count, what in (
            (self.merged, "merged onto existing"),
            (self.renumbered, "renumbered"),
            (self.skipped, "skipped"),
            (self.updated, "updated (newer in the source)"),
        ):
            if count:
                text += f", {count} {what}"
        return text


@dataclass
class MigrationReport:
    """What :func:`~jupyter_mlops.store.migrate.migrate_store` did."""

    source: str
    target: str
    artifacts: str
    source_store_id: str = ""
    tables: list[TableCopy] = field(default_factory=list)
    renumbered: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    objects_copied: int = 0
    objects_present: int = 0
    bytes_copied: int = 0

    @property
    def rows_copied(self) -> int:
        return sum(item.copied for item in self.tables)

    @property
    def rows_merged(self) -> int:
        return sum(item.merged for item in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows_copied": self.rows_copied, "rows_merged": self.rows_merged}
