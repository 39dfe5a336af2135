"""One import into a store at a time: a claim in ``store_meta`` naming its process.

A second import is refused while the first's process lives (same host) or its heartbeat is
fresh (another host); a killed import's claim is taken over, so it never blocks for good.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.store import Store
from jupyter_mlops.store import interop as q

KEY = "interop.import"
#: A claim from another host whose heartbeat is older than this is a killed import's.
STALE_AFTER = 600.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, alive
    return True


def _free(theirs: str) -> bool:
    try:
        other = json.loads(theirs)
        host, pid, beat = str(other["host"]), int(other["pid"]), float(other["beat"])
    except (ValueError, KeyError, TypeError):
        return True  # not a claim this code wrote: nothing holds it
    if host == socket.gethostname():
        return not _alive(pid)
    return time.time() - beat > STALE_AFTER


def _refusal(theirs: str) -> MlopsUsageError:
    other = json.loads(theirs)
    started = datetime.fromtimestamp(float(other["started"]), UTC).strftime("%H:%M:%S UTC")
    return MlopsUsageError(
        f"Another import into this store is running (pid {other['pid']} on {other['host']}, "
        f"from {other['source']}, started {started}): wait for it to end, then run this again."
    )


@contextmanager
def import_lock(store: Store, source: str) -> Iterator[Callable[[], None]]:
    """Hold the store's import claim while the block runs; yields a heartbeat to call often.

    Raises:
        MlopsUsageError: another import holds it (one line, nothing written).
    """
    now = time.time()
    me = {"pid": os.getpid(), "host": socket.gethostname(), "source": source, "started": now}
    held = json.dumps({**me, "beat": now})
    theirs = q.claim(store, KEY, held, _free)
    if theirs is not None:
        raise _refusal(theirs)

    def beat() -> None:
        nonlocal held
        fresh = json.dumps({**me, "beat": time.time()})
        q.refresh_claim(store, KEY, held, fresh)
        held = fresh

    try:
        yield beat
    finally:
        q.release(store, KEY, held)
