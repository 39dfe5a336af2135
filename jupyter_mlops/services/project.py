"""The project a face works in: its store and its root folder, found as ``config`` says.

Faces open nothing themselves: the command line and the magics ask here for the store of
the working directory's project, the server for the store of its root.
"""

from __future__ import annotations

from pathlib import Path

from jupyter_mlops.config import load_config
from jupyter_mlops.store import Store, current_store, open_store

# Store is named here for faces, which hold a store to hand to services but import no store.
__all__ = ["Store", "open_at", "root", "store"]


def store() -> Store:
    """The store of the working directory's project, opened once per process."""
    return current_store()


def root() -> Path:
    """The project's root folder (where ``.mlops/`` is, or would be)."""
    return load_config().root


def open_at(root: Path, *, wait: float | None = None) -> Store:
    """Open the store configured for the project at ``root`` (a server's root).

    Args:
        root: the project folder whose settings say where the store is.
        wait: seconds to wait for an unreachable database before failing (default: the
            store's own patience, as the command line waits).
    """
    opened = open_store(config=load_config(root))
    if wait is not None:
        opened.reconnect_for = wait
    return opened
