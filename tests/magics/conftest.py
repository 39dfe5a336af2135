"""The magics' tests use the shared real shell (``ip`` in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_mlops.tracking.notebook import NotebookSession
from tests.conftest import RaisingShell


@pytest.fixture
def session(ip: RaisingShell) -> Any:
    """The extension's per-shell tracking state."""
    return NotebookSession.of(ip)
