"""The kernel session's executed cells, as a tracked run records them.

From ``%load_ext jupyter_mlops`` on, the notebook session keeps every executed cell, tracked or
not, in a bounded log (the last :data:`MAX_CELLS` cells and :data:`MAX_SOURCE_BYTES` of source;
older cells are dropped and the log says it was truncated). When a tracked run ends, the log is
stored as the run's artifact :data:`ARTIFACT`::

    {"version": 1, "truncated": false, "dropped": 0, "cells": [
      {"execution_count": 3, "source": "X = load()", "digest": "<BLAKE3 of the source>",
       "started": 1733500000.0, "status": "ok", "defines": ["X"], "uses": ["load"],
       "tracked": false}, …]}

in execution order, the run's own cells included (``tracked: true``). :func:`parse` reads it
back; :func:`~jupyter_mlops.tracking.cell_names.names_defined_used` reads a cell's names.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from jupyter_mlops.artifacts.digests import hash_bytes
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.tracking.cell_names import names_defined_used, python_body

__all__ = [
    "ARTIFACT",
    "MAX_CELLS",
    "MAX_SOURCE_BYTES",
    "CellLog",
    "SessionCell",
    "SessionLog",
    "names_defined_used",
    "parse",
]

#: The run artifact holding the session log.
ARTIFACT = "mlops/session_cells.json"
VERSION = 1
MAX_CELLS = 500
MAX_SOURCE_BYTES = 2_000_000


@dataclass
class SessionCell:
    """One executed cell: what ran, when, how it ended, the names it defines and uses."""

    execution_count: int | None
    source: str
    digest: str
    started: float
    status: str = "ok"
    defines: frozenset[str] = frozenset()
    uses: frozenset[str] = frozenset()
    tracked: bool = False
    #: The run the cell was tracked into (kept in the session, not written).
    run_id: str | None = field(default=None, compare=False, repr=False)

    @classmethod
    def executed(cls, source: str, *, execution_count: int | None, started: float) -> SessionCell:
        """A cell starting now: its digest and names read from ``source``."""
        defines, uses = names_defined_used(source)
        return cls(
            execution_count=execution_count,
            source=source,
            digest=hash_bytes(source.encode("utf-8", "surrogatepass")),
            started=started,
            defines=frozenset(defines),
            uses=frozenset(uses),
        )

    @property
    def label(self) -> str:
        """``[7]``, as the notebook shows the cell's execution count (``[ ]`` without one)."""
        return f"[{self.execution_count if self.execution_count is not None else ' '}]"

    @cached_property
    def code(self) -> str:
        """The cell's Python, without a ``%%mlops track`` (or ``%%time``) line, stripped."""
        return python_body(self.source).strip()

    def to_dict(self, *, tracked: bool) -> dict[str, Any]:
        return {
            "execution_count": self.execution_count,
            "source": self.source,
            "digest": self.digest,
            "started": self.started,
            "status": self.status,
            "defines": sorted(self.defines),
            "uses": sorted(self.uses),
            "tracked": tracked,
        }


@dataclass(frozen=True)
class SessionLog:
    """A run's record of its kernel session: the cells in execution order."""

    cells: tuple[SessionCell, ...]
    truncated: bool = False
    #: How many older cells the bound dropped.
    dropped: int = 0
    version: int = VERSION

    @property
    def tracked(self) -> tuple[SessionCell, ...]:
        """The run's own cells."""
        return tuple(c for c in self.cells if c.tracked)


def parse(payload: bytes) -> SessionLog:
    """Read the ``mlops/session_cells.json`` artifact.

    Raises:
        MlopsUsageError: not a session log, or a version this release cannot read.
    """
    try:
        data = json.loads(payload)
        version = int(data["version"])
        if version > VERSION:
            raise MlopsUsageError(
                f"This session log has version {version}; upgrade jupyter-mlops to read it."
            )
        cells = tuple(_cell(c) for c in data["cells"])
        return SessionLog(
            cells,
            truncated=bool(data.get("truncated", False)),
            dropped=int(data.get("dropped", 0)),
            version=version,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise MlopsUsageError(f"Not a session log ({ARTIFACT}): {exc}.") from exc


def _cell(raw: dict[str, Any]) -> SessionCell:
    count = raw["execution_count"]
    return SessionCell(
        execution_count=None if count is None else int(count),
        source=str(raw["source"]),
        digest=str(raw["digest"]),
        started=float(raw["started"]),
        status=str(raw["status"]),
        defines=frozenset(map(str, raw.get("defines", ()))),
        uses=frozenset(map(str, raw.get("uses", ()))),
        tracked=bool(raw.get("tracked", False)),
    )


class CellLog:
    """The session's executed cells, bounded: the oldest go first, and the log says so."""

    def __init__(self, *, max_cells: int = MAX_CELLS, max_bytes: int = MAX_SOURCE_BYTES) -> None:
        self.max_cells = max_cells
        self.max_bytes = max_bytes
        self._cells: deque[SessionCell] = deque()
        self._bytes = 0
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._cells)

    def __iter__(self) -> Iterator[SessionCell]:
        return iter(self._cells)

    @property
    def last(self) -> SessionCell | None:
        return self._cells[-1] if self._cells else None

    def append(self, cell: SessionCell) -> SessionCell:
        """Keep ``cell`` as the newest, dropping the oldest cells beyond the bounds."""
        self._cells.append(cell)
        self._bytes += _size(cell)
        while len(self._cells) > 1 and (
            len(self._cells) > self.max_cells or self._bytes > self.max_bytes
        ):
            gone = self._cells.popleft()
            self._bytes -= _size(gone)
            self.dropped += 1
        return cell

    def payload(self, run_id: str) -> bytes:
        """The log as ``run_id``'s artifact: its own cells marked ``tracked``."""
        return json.dumps(
            {
                "version": VERSION,
                "truncated": self.dropped > 0,
                "dropped": self.dropped,
                "cells": [c.to_dict(tracked=c.run_id == run_id) for c in self._cells],
            },
            ensure_ascii=False,
        ).encode("utf-8", "surrogatepass")


def _size(cell: SessionCell) -> int:
    return len(cell.source.encode("utf-8", "surrogatepass"))
