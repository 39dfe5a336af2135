"""Health of the API: the store it serves and its runs by status."""

from __future__ import annotations

from pathlib import Path

from jupyter_mlops._version import __version__
from jupyter_mlops.services import schema
from jupyter_mlops.store import Store
from jupyter_mlops.store.runs import count_runs_by_status, reap_stale_runs


def status(store: Store, *, root: Path, scheduler_running: bool = False) -> schema.Status:
    """What the API serves: version, root, store and artifact store, runs by status.

    Runs whose process died are marked killed first, so no face counts a ghost ``running``.
    """
    reap_stale_runs(store)
    return schema.Status(
        ok=True,
        version=__version__,
        root=str(root),
        store_uri=store.uri,
        artifacts_uri=store.config.artifacts_uri if store.config else store.objects.root,
        runs_by_status=count_runs_by_status(store),
        scheduler_running=scheduler_running,
    )
