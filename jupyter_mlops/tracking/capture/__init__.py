"""Automatic capture inside a tracked cell: switched on for the cell, restored after.

Interface used by the magics (placeholder until the capture modules land):

    with capturing(run, user_ns=shell.user_ns):
        ...  # the cell runs here; fits, metric calls, pandas reads, figures are recorded

Nothing is patched at import; ``capturing`` patches on entry and always restores on exit,
even when the cell raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jupyter_mlops.tracking.run import Run


@contextmanager
def capturing(run: Run, *, user_ns: dict[str, Any] | None = None) -> Iterator[None]:
    """Record what the code inside does into ``run`` (placeholder: records nothing yet)."""
    yield
