"""Digests of local files, cached like DVC's state database.

A file's digest is kept in the ``file_state`` table under (host, resolved path) together with
its size, ``mtime_ns`` and inode. While those three are unchanged the file is not read again,
so re-adding an unchanged 1 GB file costs a ``stat`` and one indexed query. A changed stat means
a re-hash.

Like git's "racily clean" index entries, an entry recorded less than a timestamp tick after the
file's last modification is not trusted: a write landing in that same tick would leave the
stat unchanged. Such files are hashed again until an entry is recorded well after their mtime.
"""

from __future__ import annotations

import mmap
import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import blake3

from jupyter_mlops.errors import ArtifactIntegrityError
from jupyter_mlops.store import Store
from jupyter_mlops.store.datasets import FileStateRow, file_states, save_file_states

#: bytes read per call; a reused buffer keeps memory flat whatever the file size
CHUNK = 4 * 1024 * 1024
#: longest path the file_state table holds; longer paths are hashed every time
MAX_PATH = 1024
_INODE_MASK = (1 << 63) - 1  # BigInteger is signed; some filesystems use all 64 bits
_FINE_TICK = 0.05  # seconds; local filesystems stamp mtimes within a few milliseconds
_COARSE_TICK = 2.0  # FAT and some network filesystems stamp whole (even) seconds

Hasher = Callable[[Path], str]
Clock = Callable[[], float]


def hash_file(path: Path) -> str:
    """Return the BLAKE3 digest of a file, read in fixed chunks and hashed multi-threaded.

    Reading into one reused buffer (rather than memory-mapping the whole file) keeps peak
    memory independent of the file size, and a file truncated while it is read cannot crash
    the process with SIGBUS.
    """
    h = blake3.blake3(max_threads=blake3.blake3.AUTO)
    # A page-aligned buffer (an anonymous mapping, not a malloc'd bytearray, whose data
    # starts 16 bytes into a page): the kernel's copy into it runs several times faster.
    with mmap.mmap(-1, CHUNK) as buffer, open(path, "rb", buffering=0) as fh:
        view = memoryview(buffer)
        try:
            while n := fh.readinto(view):
                h.update(view[:n])
        finally:
            view.release()
    return str(h.hexdigest())


@dataclass(frozen=True)
class FileState:
    """A local file's resolved path, the stat its digest belongs to, and the digest."""

    path: Path
    size: int
    mtime_ns: int
    inode: int
    digest: str

    def matches(self, st: os.stat_result) -> bool:
        """Whether ``st`` still describes the content this digest was computed from."""
        return (st.st_size, st.st_mtime_ns, st.st_ino & _INODE_MASK) == (
            self.size,
            self.mtime_ns,
            self.inode,
        )


def _tick(mtime_ns: int) -> float:
    return _COARSE_TICK if mtime_ns % 1_000_000_000 == 0 else _FINE_TICK


class StateCache:
    """Digests of local files, re-hashing only files whose size, mtime or inode changed.

    Args:
        store: The store whose ``file_state`` table holds the entries.
        hasher: Computes a file's digest (a seam: tests count its calls).
        host: The host the paths belong to (default: this machine's hostname).
        clock: Wall-clock seconds, compared with mtimes to spot racy entries.
    """

    def __init__(
        self,
        store: Store,
        *,
        hasher: Hasher = hash_file,
        host: str | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.store = store
        self.hasher = hasher
        self.host = host or socket.gethostname()
        self.clock = clock

    def state(self, path: str | os.PathLike[str]) -> FileState:
        """The digest of one file, from the cache when its stat is unchanged."""
        return self.states([Path(path)])[0]

    def states(self, paths: Iterable[Path]) -> list[FileState]:
        """The digests of several files, with one query for the cached ones.

        Raises:
            ArtifactIntegrityError: A file changed while it was being hashed.
        """
        resolved = [Path(p).resolve() for p in paths]
        cached = [str(p) for p in resolved if len(str(p)) <= MAX_PATH]
        known = file_states(self.store, self.host, cached) if cached else {}
        out: list[FileState] = []
        fresh: list[FileStateRow] = []
        for path in resolved:
            st = os.stat(path)
            row = known.get(str(path))
            if row is not None and self._trusted(row, st):
                out.append(self._state(path, st, row.digest))
                continue
            checked_at = self.clock()
            before = os.stat(path)
            digest = self.hasher(path)
            state = self._state(path, before, digest)
            if not state.matches(os.stat(path)):
                raise ArtifactIntegrityError(
                    f"{str(path)!r} changed while it was being hashed; add it again "
                    "once nothing is writing to it.",
                    digest=digest,
                )
            out.append(state)
            if len(str(path)) <= MAX_PATH:
                fresh.append(
                    FileStateRow(
                        str(path), state.size, state.mtime_ns, state.inode, digest, checked_at
                    )
                )
        save_file_states(self.store, self.host, fresh)
        return out

    @staticmethod
    def _state(path: Path, st: os.stat_result, digest: str) -> FileState:
        return FileState(path, st.st_size, st.st_mtime_ns, st.st_ino & _INODE_MASK, digest)

    @staticmethod
    def _trusted(row: FileStateRow, st: os.stat_result) -> bool:
        if (row.size, row.mtime_ns, row.inode) != (
            st.st_size,
            st.st_mtime_ns,
            st.st_ino & _INODE_MASK,
        ):
            return False
        # Recorded within a timestamp tick of the last write: a later write in the same
        # tick would not have moved the mtime, so the entry proves nothing.
        return row.checked_at - row.mtime_ns / 1e9 > _tick(row.mtime_ns)
