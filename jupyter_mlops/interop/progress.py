"""How far an import or export has got, as the service reports it to a face."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """``done`` runs of ``total`` (None while the total is unknown), and a line saying so."""

    done: int
    total: int | None
    line: str
