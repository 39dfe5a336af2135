"""Link a tracked run to the dataset versions it read, with the role the data played.

A pandas read of a file that is a known dataset version links the run to that version as
``input``. When a frame derived from that read (same or fewer columns, a subset of its rows:
``df.drop(columns=...)``, ``train_test_split`` halves, ``df["target"]``) later flows into a
fit, the link is added as ``training``; into a metric call or ``score``, as ``evaluation``.
Frames that lost their pandas index (``.to_numpy()``) cannot be followed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_mlops.tracking.datasets import link_file_read

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Session
    from jupyter_mlops.tracking.run import Run


@dataclass
class ReadFrame:
    """A frame read from a dataset file: enough to recognise what is derived from it."""

    index: Any
    columns: frozenset[str]
    version_ids: list[int]
    roles: set[tuple[int, str]] = field(default_factory=set)


def link_read(session: Session, path: str, digest: str, result: Any) -> None:
    """Link the run to dataset versions holding ``path``; remember the frame it produced."""
    versions = link_file_read(session.run, path, digest, "input")
    columns = getattr(result, "columns", None)
    index = getattr(result, "index", None)
    if versions and columns is not None and index is not None:
        session.state.reads.append(
            ReadFrame(index, frozenset(map(str, columns)), [v.id for v in versions])
        )


def _derived_from(value: Any, read: ReadFrame) -> bool:
    columns = getattr(value, "columns", None)
    if columns is not None:
        if not set(map(str, columns)) <= read.columns:
            return False
    else:
        name = getattr(value, "name", None)
        if name is None or str(name) not in read.columns:
            return False
    index = getattr(value, "index", None)
    if index is None or len(index) > len(read.index):
        return False
    return bool(index.isin(read.index).all())


def note_use(session: Session, role: str, value: Any) -> None:
    """Add ``role`` links for the dataset versions ``value`` was derived from."""
    if not session.state.reads or getattr(value, "index", None) is None:
        return
    for read in session.state.reads:
        pending = [vid for vid in read.version_ids if (vid, role) not in read.roles]
        if pending and _derived_from(value, read):
            _link(session.run, pending, role)
            read.roles.update((vid, role) for vid in pending)


def _link(run: Run, version_ids: list[int], role: str) -> None:
    # data pulls in pandas; a cell that reads a dataset file has it loaded already.
    from jupyter_mlops.data import links

    for version_id in version_ids:
        links.link_run(run.store, run.id, version_id, role)
