"""A small content-addressed object store.

Objects live at ``<root>/ab/cdef…`` where ``abcdef…`` is the BLAKE3 digest of
the content. Writes go to a temporary name and are renamed into place, so a
reader never sees half an object; reads are verified against the digest.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import blake3
import fsspec
from fsspec.implementations.local import LocalFileSystem

from jupyter_mlops.errors import ArtifactIntegrityError, MlopsUsageError, NotFoundError

CHUNK = 4 * 1024 * 1024
DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ObjectInfo:
    """A stored object: its digest and size in bytes."""

    digest: str
    size: int


def _hasher() -> Any:
    return blake3.blake3(max_threads=blake3.blake3.AUTO)


def hash_bytes(data: bytes | memoryview) -> str:
    """Return the BLAKE3 hex digest of ``data``."""
    return str(blake3.blake3(data).hexdigest())


def hash_file(path: str | os.PathLike[str]) -> str:
    """Return the BLAKE3 hex digest of a local file, memory-mapped and multi-threaded."""
    h = _hasher()
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

    def close(self) -> None:
        self._raw.close()
        super().close()


class ObjectStore:
    """Put, get, verify and iterate content-addressed objects under ``root`` on ``fs``."""

    def __init__(self, fs: fsspec.AbstractFileSystem, root: str) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        self._local = isinstance(fs, LocalFileSystem)

    @classmethod
    def from_uri(cls, uri: str, **storage_options: Any) -> ObjectStore:
        """Open the store at an fsspec URL or local path."""
        fs, root = fsspec.core.url_to_fs(uri, **storage_options)
        return cls(fs, str(root))

    def __repr__(self) -> str:
        return f"ObjectStore({self.fs.protocol!r}, {self.root!r})"

    # -- paths ---------------------------------------------------------------
    def path_for(self, digest: str) -> str:
        check_digest(digest)
        return f"{self.root}/{digest[:2]}/{digest[2:]}"

    def _tmp_path(self) -> str:
        return f"{self.root}/tmp/{uuid.uuid4().hex}"  # noqa: S108 - inside the store

    # -- queries -------------------------------------------------------------
    def exists(self, digest: str) -> bool:
        path = self.path_for(digest)
        if self._local:
            return os.path.exists(path)
        return bool(self.fs.exists(path))

    def size(self, digest: str) -> int:
        return int(self.fs.size(self.path_for(digest)))

    def iter_digests(self) -> Iterator[str]:
        """Yield every stored digest (in no particular order)."""
        if not self.fs.exists(self.root):
            return
        for entry in self.fs.ls(self.root, detail=False):
            fan = str(entry).rstrip("/").rsplit("/", 1)[-1]
            if len(fan) != 2:
                continue
            for obj in self.fs.ls(entry, detail=False):
                rest = str(obj).rstrip("/").rsplit("/", 1)[-1]
                digest = fan + rest
                if DIGEST_RE.match(digest):
                    yield digest

    # -- writes --------------------------------------------------------------
    def _install(self, tmp: str, digest: str) -> None:
        final = self.path_for(digest)
        if self._local:
            os.makedirs(os.path.dirname(final), exist_ok=True)
            os.replace(tmp, final)
            # Objects are immutable: read-only guards against edits through a checkout.
            os.chmod(final, 0o444)
        else:
            self.fs.mv(tmp, final)

    def put_bytes(self, data: bytes) -> ObjectInfo:
        """Store ``data``; storing the same bytes twice keeps one copy."""
        digest = hash_bytes(data)
        if not self.exists(digest):
            tmp = self._tmp_path()
            self.fs.makedirs(os.path.dirname(tmp), exist_ok=True)
            with self.fs.open(tmp, "wb") as out:
                out.write(data)
            self._install(tmp, digest)
        return ObjectInfo(digest, len(data))

    def put_file(self, path: str | os.PathLike[str], *, digest: str | None = None) -> ObjectInfo:
        """Store a local file, hashing it first so a known object is never copied again."""
        before = os.stat(path)
        known = digest is not None
        digest = digest or hash_file(path)
        if self.exists(digest):
            return ObjectInfo(digest, before.st_size)
        if self._local and not known:
            # We just hashed it ourselves; a digest handed in is re-checked while copying.
            return self._copy_local(path, digest, before)
        with open(path, "rb") as src:
            info = self.put_stream(src)
        if info.digest != digest:
            raise ArtifactIntegrityError(
                f"{os.fspath(path)} changed while it was being stored; try again.", digest=digest
            )
        return info

    def _copy_local(
        self, path: str | os.PathLike[str], digest: str, before: os.stat_result
    ) -> ObjectInfo:
        # A kernel-side copy instead of a second hashing pass; a file changed while it
        # was hashed or copied shows in its size or mtime, and is refused.
        tmp = self._tmp_path()
        os.makedirs(os.path.dirname(tmp), exist_ok=True)
        try:
            shutil.copyfile(path, tmp)
            after = os.stat(path)
            if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                raise ArtifactIntegrityError(
                    f"{os.fspath(path)} changed while it was being stored; try again.",
                    digest=digest,
                )
            self._install(tmp, digest)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
        return ObjectInfo(digest, before.st_size)

    def put_stream(self, src: IO[bytes]) -> ObjectInfo:
        """Store a stream, hashing while copying; memory use is one chunk."""
        tmp = self._tmp_path()
        self.fs.makedirs(os.path.dirname(tmp), exist_ok=True)
        h = _hasher()
        size = 0
        try:
            with self.fs.open(tmp, "wb") as out:
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            digest = str(h.hexdigest())
            if self.exists(digest):
                self.fs.rm(tmp)
            else:
                self._install(tmp, digest)
        except BaseException:
            if self.fs.exists(tmp):
                self.fs.rm(tmp)
            raise
        return ObjectInfo(digest, size)

    # -- reads ---------------------------------------------------------------
    def open(self, digest: str) -> IO[bytes]:
        """Open an object for reading; reading to the end verifies it."""
        path = self.path_for(digest)
        try:
            raw = self.fs.open(path, "rb")
        except FileNotFoundError:
            raise NotFoundError(
                f"Object {digest} is missing from the artifact store {self.root}.", digest=digest
            ) from None
        return io.BufferedReader(VerifyingReader(raw, digest), buffer_size=CHUNK)

    def read_bytes(self, digest: str) -> bytes:
        """Return the whole object, verified."""
        with self.open(digest) as fh:
            return fh.read()

    def local_path(self, digest: str) -> Path | None:
        """The object's path when the store is on the local disk, else None."""
        return Path(self.path_for(digest)) if self._local else None

    def verify(self, digest: str) -> None:
        """Re-hash one object; raise ArtifactIntegrityError if it does not match."""
        path = self.path_for(digest)
        if self._local:
            if not os.path.exists(path):
                raise NotFoundError(f"Object {digest} is missing.", digest=digest)
            actual = hash_file(path)
        else:
            if not self.fs.exists(path):
                raise NotFoundError(f"Object {digest} is missing.", digest=digest)
            h = _hasher()
            with self.fs.open(path, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    h.update(chunk)
            actual = str(h.hexdigest())
        if actual != digest:
            raise ArtifactIntegrityError(
                f"Object {digest} is corrupt (content hashes to {actual[:12]}…).", digest=digest
            )

    def delete(self, digest: str) -> None:
        path = self.path_for(digest)
        if self._local:
            try:
                os.chmod(path, 0o644)
                os.remove(path)
            except FileNotFoundError:
                pass
        elif self.fs.exists(path):
            self.fs.rm(path)
