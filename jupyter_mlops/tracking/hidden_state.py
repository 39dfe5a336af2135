"""Hidden notebook state, caught as a tracked cell runs.

A tracked cell uses names; each comes from its *defining cell*, the latest executed cell that
defined it (:mod:`~jupyter_mlops.tracking.session_log`). The state is hidden when running the
notebook top to bottom would not produce it. When the notebook file is known (and saved), its
cell order decides: the defining cell is

* ``below`` the tracked cell in the notebook;
* ``edited`` since it ran (the notebook cell with its execution count holds other code);
* ``deleted``: not in the notebook (deleted, or run from a console on the same kernel).

Cells are matched by their code; a cell that ran after the file was last saved is not judged
by the file. Without the notebook (or for a cell not in it yet), the kernel's execution order
decides: the defining cell is ``rerun`` when it ran after an earlier run of this same cell had
used the name, so the notebook was executed out of order.

The run is tagged :data:`TAG` with the reasons, the receipt shows them, and registering the
run's model warns, or refuses with the setting ``hidden_state = "refuse"``
(:func:`check_registration`).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jupyter_mlops.errors import MlopsUsageError, MlopsWarning
from jupyter_mlops.tracking.cell_names import python_body
from jupyter_mlops.tracking.session_log import SessionCell

__all__ = [
    "TAG",
    "Finding",
    "HiddenStateWarning",
    "NotebookCells",
    "check_registration",
    "describe",
    "detect",
    "read_notebook",
]

TAG = "mlops.hidden_state"
_MAX_TAG = 240


class HiddenStateWarning(MlopsWarning):
    """A model is registered from a run whose notebook state was hidden."""


@dataclass(frozen=True)
class Finding:
    """One name a tracked cell used from a defining cell it should not rely on."""

    name: str
    reason: str  # below, edited, deleted, rerun
    source: str  # the defining cell's label, ``[7]``
    user: str  # the tracked cell's label
    earlier: str | None = None  # for ``rerun``: the tracked cell's earlier run

    def text(self, *, this: str = "this cell") -> str:
        """``X comes from cell [7], which is below this cell in the notebook``."""
        why = {
            "below": f"which is below {this} in the notebook",
            "edited": "which was edited since it ran",
            "deleted": "which is not in the notebook",
            "rerun": f"which ran after {_owner(this)} earlier run {self.earlier} used {self.name}",
        }[self.reason]
        return f"{self.name} comes from cell {self.source}, {why}"


def _owner(this: str) -> str:
    return "its" if this == "it" else f"{this}'s"


def describe(findings: Sequence[Finding], *, line_form: bool = False) -> str:
    """The findings in one line; ``line_form`` names the cell using each name."""
    if not line_form:
        return "; ".join(f.text() for f in findings)
    return "; ".join(f"cell {f.user}: {f.text(this='it')}" for f in findings)


def tag_value(findings: Sequence[Finding], *, line_form: bool = False) -> str:
    """The :data:`TAG` value: :func:`describe`, shortened."""
    text = describe(findings, line_form=line_form)
    return text if len(text) <= _MAX_TAG else text[: _MAX_TAG - 1] + "…"


# -- the notebook on disk ---------------------------------------------------------


@dataclass(frozen=True)
class NotebookCells:
    """A saved notebook's code cells, in order: their code and execution counts."""

    codes: tuple[str, ...]
    counts: tuple[int | None, ...]
    saved: float  # modification time of the file

    def positions(self, code: str) -> list[int]:
        return [i for i, c in enumerate(self.codes) if c == code]


def read_notebook(path: str | os.PathLike[str] | None) -> NotebookCells | None:
    """The code cells of the notebook at ``path`` (relative: to the working folder, or its
    name there), or None when there is none readable."""
    if not path:
        return None
    candidates = [Path(path)]
    if not candidates[0].is_absolute():
        candidates.append(Path.cwd() / Path(path).name)
    for candidate in candidates:
        try:
            stat = candidate.stat()
        except OSError:
            continue
        return _read(str(candidate.resolve()), stat.st_mtime_ns, stat.st_size)
    return None


@lru_cache(maxsize=8)
def _read(path: str, mtime_ns: int, size: int) -> NotebookCells | None:
    # Keyed by modification time and size: a notebook is read again once it is saved again.
    # JSON, not nbformat.read: validating a notebook with big outputs costs tens of ms.
    try:
        with open(path, encoding="utf-8") as fh:
            nb = json.load(fh)
        codes, counts = [], []
        for cell in nb["cells"]:
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            codes.append(_code("".join(source) if isinstance(source, list) else str(source)))
            count = cell.get("execution_count")
            counts.append(count if isinstance(count, int) else None)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return NotebookCells(tuple(codes), tuple(counts), mtime_ns / 1e9)


def _code(source: str) -> str:
    return python_body(source).strip()


# -- detection --------------------------------------------------------------------


def detect(
    cells: Sequence[SessionCell], current: SessionCell, notebook: NotebookCells | None
) -> list[Finding]:
    """The hidden state ``current`` relies on, given the session's earlier ``cells``.

    Args:
        cells: The cells executed before ``current``, oldest first.
        current: The tracked cell about to run.
        notebook: The saved notebook, when known.

    Returns:
        One finding per name used from a cell it should not come from, by name.
    """
    definers = _definers(cells, current.uses)
    if not definers:
        return []
    code = current.code
    here = notebook.positions(code) if notebook is not None else []
    findings = []
    for name in sorted(definers):
        index, cell = definers[name]
        reason = None
        if notebook is not None and here:
            reason = _by_notebook(notebook, cell, min(here))
        if reason is not None:
            findings.append(Finding(name, reason, cell.label, current.label))
            continue
        if notebook is not None and here and notebook.positions(cell.code):
            continue  # both in the saved notebook, in order: top to bottom gives the same
        earlier = _earlier_use(cells[:index], code, name)
        if earlier is not None:
            findings.append(Finding(name, "rerun", cell.label, current.label, earlier.label))
    return findings


def _definers(
    cells: Sequence[SessionCell], names: frozenset[str]
) -> dict[str, tuple[int, SessionCell]]:
    """For each name, the latest cell defining it (and its index)."""
    wanted = set(names)
    found: dict[str, tuple[int, SessionCell]] = {}
    for index in range(len(cells) - 1, -1, -1):
        if not wanted:
            break
        cell = cells[index]
        hit = wanted & cell.defines
        for name in hit:
            found[name] = (index, cell)
        wanted -= hit
    return found


def _by_notebook(notebook: NotebookCells, cell: SessionCell, here: int) -> str | None:
    positions = notebook.positions(cell.code)
    if positions:
        return "below" if min(positions) > here else None
    if notebook.saved < cell.started:
        return None  # ran after the last save: the file cannot know it yet
    if cell.execution_count is not None and cell.execution_count in notebook.counts:
        return "edited"
    return "deleted"


def _earlier_use(cells: Sequence[SessionCell], code: str, name: str) -> SessionCell | None:
    """The latest earlier run of the cell ``code`` that used ``name``."""
    for cell in reversed(cells):
        if name in cell.uses and cell.code == code:
            return cell
    return None


# -- registering ------------------------------------------------------------------


def check_registration(label: str, tags: dict[str, str], *, policy: str) -> None:
    """Warn (or refuse, by ``policy``) when the run ``label`` was tagged with hidden state.

    Raises:
        MlopsUsageError: ``policy`` is ``refuse`` and the run has hidden state.
    """
    reason = tags.get(TAG)
    if not reason or policy == "ignore":
        return
    what = f"Run {label} relied on hidden notebook state ({reason})"
    if policy == "refuse":
        raise MlopsUsageError(
            f"{what}; run the notebook top to bottom and register that run "
            '(the setting hidden_state = "refuse" refuses this one).'
        )
    warnings.warn(
        f"{what}; the notebook run top to bottom may not give this model.",
        HiddenStateWarning,
        stacklevel=3,
    )
