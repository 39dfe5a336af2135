"""Plain-text tables that fit the terminal: fixed columns first, optional ones while they fit."""

from __future__ import annotations

from dataclasses import dataclass

GAP = "  "


@dataclass(frozen=True)
class Column:
    """A table column: its header, its cells (already text) and how to align them."""

    header: str
    cells: list[str]
    right: bool = False

    @property
    def width(self) -> int:
        return max([len(self.header), *(len(cell) for cell in self.cells)])


def fit(fixed: list[Column], optional: list[Column], width: int) -> tuple[list[Column], int]:
    """Keep every fixed column, then optional columns in order while the line fits ``width``.

    Returns:
        The columns to show and how many optional columns were left out.
    """
    shown = list(fixed)
    used = sum(c.width for c in fixed) + len(GAP) * max(len(fixed) - 1, 0)
    for i, column in enumerate(optional):
        extra = len(GAP) + column.width
        if used + extra > width:
            return shown, len(optional) - i
        shown.append(column)
        used += extra
    return shown, 0


def render(columns: list[Column]) -> str:
    """Lay ``columns`` out as aligned text, header first, without trailing spaces."""
    widths = [c.width for c in columns]
    rows = [[c.header for c in columns]]
    n = len(columns[0].cells) if columns else 0
    rows += [[c.cells[i] for c in columns] for i in range(n)]
    lines = []
    for row in rows:
        parts = [
            cell.rjust(w) if col.right else cell.ljust(w)
            for cell, w, col in zip(row, widths, columns, strict=True)
        ]
        lines.append(GAP.join(parts).rstrip())
    return "\n".join(lines)
