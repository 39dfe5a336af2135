"""Digests: BLAKE3 hashing of bytes and files, and a reader that checks what it reads."""

from __future__ import annotations

import io
import os
import re
from typing import IO, Any

import blake3

from jupyter_mlops.errors import ArtifactIntegrityError, MlopsUsageError

#: Bytes per read or write of an object.
CHUNK = 4 * 1024 * 1024
DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")


def hasher() -> Any:
    return blake3.blake3(max_threads=blake3.blake3.AUTO)


def hash_bytes(data: bytes | memoryview) -> str:
    """Return the BLAKE3 hex digest of ``data``."""
    return str(blake3.blake3(data).hexdigest())


def hash_file(path: str | os.PathLike[str]) -> str:
    """Return the BLAKE3 hex digest of a local file, memory-mapped and multi-threaded."""
    h = hasher()
    if os.path.getsize(path) == 0:
        return str(h.hexdigest())
    h.update_mmap(os.fspath(path))
    return str(h.hexdigest())


def check_digest(digest: str) -> str:
    if not isinstance(digest, str) or not DIGEST_RE.match(digest):
        raise MlopsUsageError(f"{digest!r} is not a digest: expected 64 lowercase hex characters.")
    return digest


class VerifyingReader(io.RawIOBase):
    """A read-only stream that raises ArtifactIntegrityError if the content does not match."""

    def __init__(self, raw: IO[bytes], digest: str) -> None:
        self._raw = raw
        self._digest = digest
        self._hash = blake3.blake3()
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        if n:
            buffer[:n] = data
            self._hash.update(data)
        elif not self._done:
            self._done = True
            if self._hash.hexdigest() != self._digest:
                raise ArtifactIntegrityError(
                    f"Object {self._digest} is corrupt: its content no longer matches its "
                    "digest. Run `jupyter-mlops verify` to list what is affected.",
                    digest=self._digest,
                )
        return n

    def readall(self) -> bytes:
        # io's default reads 8 KiB at a time: on object storage, one request each.
        pieces = []
        while data := self.read(CHUNK):
            pieces.append(data)
        return b"".join(pieces)

    def close(self) -> None:
        self._raw.close()
        super().close()
