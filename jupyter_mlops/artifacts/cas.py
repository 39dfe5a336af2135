"""A small content-addressed object store.

Objects live at ``<root>/ab/cdef…`` where ``abcdef…`` is the BLAKE3 digest of
the content. Writes go to a temporary name and are renamed into place, so a
reader never sees half an object; reads are verified against the digest.

On S3 an object whose digest is known is streamed straight to its final key: a
multipart upload becomes visible only when it completes, and it completes only
after the bytes sent hashed to the digest (else it is aborted), so no object
ever holds anything but its content. Memory use is one part (8 MiB).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import fsspec
from fsspec.implementations.local import LocalFileSystem

from jupyter_mlops.artifacts import local, remote
from jupyter_mlops.artifacts.digests import (
    CHUNK,
    DIGEST_RE,
    VerifyingReader,
    check_digest,
    hash_bytes,
    hash_file,
    hasher,
)
from jupyter_mlops.artifacts.local import Entry
from jupyter_mlops.config import Config
from jupyter_mlops.errors import (
    ArtifactIntegrityError,
    ForeignEntryError,
    MlopsError,
    MlopsUsageError,
    NotFoundError,
)

__all__ = [
    "CHUNK",
    "DIGEST_RE",
    "Entry",
    "ObjectInfo",
    "ObjectStore",
    "VerifyingReader",
    "check_digest",
    "hash_bytes",
    "hash_file",
]


@dataclass(frozen=True)
class ObjectInfo:
    """A stored object: its digest and size in bytes."""

    digest: str
    size: int


class ObjectStore:
    """Put, get, verify and iterate content-addressed objects under ``root`` on ``fs``.

    Args:
        fs: The filesystem.
        root: The folder (or ``bucket/prefix``) holding the objects.
        block_size: Bytes per request on object storage: the part size of uploads and the
            size of ranged reads; what a transfer holds in memory.
    """

    def __init__(
        self,
        fs: fsspec.AbstractFileSystem,
        root: str,
        *,
        block_size: int = remote.S3_BLOCK_SIZE,
    ) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        self.block_size = block_size
        self._local = isinstance(fs, LocalFileSystem)
        protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
        # Object storage publishes an upload only when it completes: write in place.
        self._direct = any(p in remote.S3_PROTOCOLS for p in protocols)

    @classmethod
    def from_uri(
        cls, uri: str, *, config: Config | None = None, **storage_options: Any
    ) -> ObjectStore:
        """Open the store at an fsspec URL or local path.

        For ``s3://`` the endpoint, timeouts and retries come from ``config`` (default: the
        project's); ``storage_options`` override them.
        """
        options = {**remote.storage_options(uri, config), **storage_options}
        fs, root = fsspec.core.url_to_fs(uri, **options)
        return cls(fs, str(root))

    def __repr__(self) -> str:
        return f"ObjectStore({self.fs.protocol!r}, {self.root!r})"

    @property
    def uri(self) -> str:
        """The store's location as a URL (a plain path on the local disk)."""
        return self.root if self._local else str(self.fs.unstrip_protocol(self.root))

    @contextmanager
    def _calling(self, doing: str, *, writing: bool = False) -> Iterator[None]:
        """Turn a failed call to an object server into a one-line StoreError."""
        if self._local:
            yield
            return
        try:
            yield
        except MlopsError:
            raise
        except FileNotFoundError as exc:
            if writing:  # nothing to find when writing: the bucket itself is missing
                raise remote.unreachable(self.uri, doing, exc) from exc
            raise
        except Exception as exc:
            if not remote.is_transport_error(exc):
                raise
            raise remote.unreachable(self.uri, doing, exc) from exc

    @contextmanager
    def _disk(self, doing: str, *, source: str | None = None) -> Iterator[None]:
        """Turn a failed read of ``source`` into a one-line MlopsUsageError, and a failed
        write of the local disk into a one-line StoreError (ReadOnlyStoreError when the
        disk is full or read-only)."""
        try:
            yield
        except MlopsError:
            raise
        except OSError as exc:
            if source is not None and os.fspath(exc.filename or "") == source:
                raise MlopsUsageError(f"Cannot read {source}: {exc.strerror}.") from exc
            if not self._local:
                raise
            raise local.write_failed(self.root, doing, exc) from exc

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
            return local.regular(path) is None
        with self._calling(f"looking up {digest[:12]}"):
            return bool(self.fs.exists(path))

    def size(self, digest: str) -> int:
        with self._calling(f"looking up {digest[:12]}"):
            return int(self.fs.size(self.path_for(digest)))

    def iter_digests(self) -> Iterator[str]:
        """Yield every stored digest (in no particular order)."""
        if self._direct:
            # One paginated listing of the prefix, not one request per fan-out folder.
            with self._calling("listing objects"):
                paths = self.fs.find(self.root)
            for path in paths:
                fan, rest = str(path).rsplit("/", 2)[-2:]
                if DIGEST_RE.match(fan + rest):
                    yield fan + rest
            return
        if self._local:
            # Never through a link: a linked fan-out folder or object is foreign (see
            # :meth:`foreign`), and its target is never read, changed or deleted.
            for fan, entry in local.fan_outs(self.root):
                with os.scandir(entry) as objects:
                    for obj in objects:
                        if obj.is_file(follow_symlinks=False) and DIGEST_RE.match(fan + obj.name):
                            yield fan + obj.name
            return
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

    def foreign(self) -> Iterator[Entry]:
        """What is in the store's folder that this store did not write as an object.

        Links (to anything), devices, pipes and folders where objects belong, and temporary
        files a writer left behind (``kind="temporary"``; a killed process's partial write).
        Only the local disk can hold these; object storage has no links.
        """
        if not self._local or not os.path.isdir(self.root):
            return
        now = time.time()
        with os.scandir(self.root) as top:
            for entry in top:
                if entry.name == "tmp":
                    yield from local.temporaries(entry, now)
                elif len(entry.name) == 2 and not entry.is_dir(follow_symlinks=False):
                    yield Entry(entry.path, local.kind(entry), local.age(entry, now))
        for _, fan in local.fan_outs(self.root):
            with os.scandir(fan) as objects:
                for obj in objects:
                    if not obj.is_file(follow_symlinks=False):
                        yield Entry(obj.path, local.kind(obj), local.age(obj, now))

    def remove_temporary(self, path: str) -> None:
        """Delete a temporary file a writer left in ``tmp/`` (never anything else)."""
        tmp = os.path.join(self.root, "tmp")
        if os.path.dirname(path) != tmp or os.path.islink(tmp):
            raise MlopsUsageError(f"{path} is not a temporary file of this store.")
        if os.path.isfile(path) and not os.path.islink(path):
            os.remove(path)

    # -- writes --------------------------------------------------------------
    def _install(self, tmp: str, digest: str) -> None:
        final = self.path_for(digest)
        if self._local:
            folder = os.path.dirname(final)
            os.makedirs(folder, exist_ok=True)
            if os.path.islink(folder):
                os.remove(tmp)
                raise ForeignEntryError(
                    f"The store's folder {folder} is a link: nothing is written through it "
                    "(remove it by hand if you did not put it there).",
                    path=folder,
                )
            os.replace(tmp, final)
            # Objects are immutable: read-only guards against edits through a checkout.
            os.chmod(final, 0o444)
        else:
            self.fs.mv(tmp, final)

    def put_bytes(self, data: bytes) -> ObjectInfo:
        """Store ``data``; storing the same bytes twice keeps one copy."""
        digest = hash_bytes(data)
        if self._direct:
            if not self.exists(digest):
                self._upload(io.BytesIO(data), digest, size_hint=len(data))
        elif not self.exists(digest):
            tmp = self._tmp_path()
            with self._disk("storing an object"):
                try:
                    self.fs.makedirs(os.path.dirname(tmp), exist_ok=True)
                    with self.fs.open(tmp, "wb") as out:
                        out.write(data)
                    self._install(tmp, digest)
                except BaseException:
                    _remove_quietly(self.fs, tmp)  # a full disk leaves no partial file
                    raise
        return ObjectInfo(digest, len(data))

    def put_file(self, path: str | os.PathLike[str], *, digest: str | None = None) -> ObjectInfo:
        """Store a local file, hashing it first so a known object is never copied again.

        Raises:
            MlopsUsageError: the file cannot be read.
            StoreError: the store cannot be written (ReadOnlyStoreError: a full or read-only
                disk); nothing is left of the partial copy.
        """
        with self._disk(f"storing {os.fspath(path)}", source=os.fspath(path)):
            return self._put_file(path, digest)

    def _put_file(self, path: str | os.PathLike[str], digest: str | None) -> ObjectInfo:
        before = os.stat(path)
        known = digest is not None
        digest = digest or hash_file(path)
        if self.exists(digest):
            return ObjectInfo(digest, before.st_size)
        if self._local and not known:
            # We just hashed it ourselves; a digest handed in is re-checked while copying.
            return self._copy_local(path, digest, before)
        if self._direct:
            with open(path, "rb") as src:
                size = self._upload(src, digest, source=os.fspath(path), size_hint=before.st_size)
            return ObjectInfo(digest, size)
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

    def _upload(
        self,
        src: IO[bytes],
        digest: str,
        *,
        source: str = "the data",
        size_hint: int | None = None,
    ) -> int:
        """Stream ``src`` to the object's key; publish it only if it hashes to ``digest``."""

        def check(h: Any) -> None:
            if h.hexdigest() != digest:
                raise ArtifactIntegrityError(
                    f"{source} changed while it was being stored; try again.", digest=digest
                )

        with self._calling(f"storing {digest[:12]}", writing=True):
            return remote.upload(
                self.fs,
                self.path_for(digest),
                src,
                check=check,
                block_size=self.block_size,
                size_hint=size_hint,
            )

    def put_stream(self, src: IO[bytes]) -> ObjectInfo:
        """Store a stream, hashing while copying; memory use is one chunk."""
        tmp = self._tmp_path()
        doing = "storing a stream"
        try:
            with self._calling(doing, writing=True):
                self.fs.makedirs(os.path.dirname(tmp), exist_ok=True)
            out, digest, size = self._stream_to(tmp, src, doing)
            with self._calling(doing, writing=True):
                out.close()
                if self.exists(digest):
                    self.fs.rm(tmp)
                else:
                    self._install(tmp, digest)
        except BaseException:
            _remove_quietly(self.fs, tmp)
            raise
        return ObjectInfo(digest, size)

    def _stream_to(self, path: str, src: IO[bytes], doing: str) -> tuple[Any, str, int]:
        """Copy ``src`` into a new file at ``path``, hashing; the file is left open.

        Errors reading ``src`` pass through as they are; errors of the store become
        StoreError. On any error the file is dropped (unpublished where the store can).
        """
        h = hasher()
        size = 0
        with self._calling(doing, writing=True):
            out = self.fs.open(path, "wb", **self._block())
        try:
            while chunk := src.read(CHUNK):
                h.update(chunk)
                with self._calling(doing, writing=True):
                    out.write(chunk)
                size += len(chunk)
        except BaseException:
            self._drop(out)
            raise
        return out, str(h.hexdigest()), size

    def _drop(self, out: Any) -> None:
        if self._direct:
            _abandon(out)
            return
        # A temporary file, removed by the caller; already failing, so keep the first error.
        with suppress(Exception):
            out.close()

    def _block(self) -> dict[str, Any]:
        return {} if self._local else {"block_size": self.block_size}

    # -- reads ---------------------------------------------------------------
    def open(self, digest: str) -> IO[bytes]:
        """Open an object for reading; reading to the end verifies it.

        Raises:
            NotFoundError: no such object.
            ForeignEntryError: a link or other non-file sits at the object's name.
        """
        path = self.path_for(digest)
        if self._local:
            return io.BufferedReader(
                VerifyingReader(local.open_regular(path, digest), digest), buffer_size=CHUNK
            )
        try:
            with self._calling(f"reading {digest[:12]}"):
                remote_file = self.fs.open(path, "rb", **self._read_options())
        except FileNotFoundError:
            raise NotFoundError(
                f"Object {digest} is missing from the artifact store {self.root}.", digest=digest
            ) from None
        raw = cast(IO[bytes], _TransportErrors(remote_file, self, digest))
        return io.BufferedReader(VerifyingReader(raw, digest), buffer_size=CHUNK)

    def _read_options(self) -> dict[str, Any]:
        if not self._direct:
            return {}
        # Each read is one ranged GET of the size asked for (a chunk): no read-ahead copy.
        return {"block_size": self.block_size, "cache_type": "none"}

    def read_bytes(self, digest: str) -> bytes:
        """Return the whole object, verified."""
        with self.open(digest) as fh:
            return fh.read()

    def spool(self, digest: str) -> IO[bytes]:
        """A private copy of the object, verified, positioned at its start.

        For senders that must not send a byte before the whole object matched its digest
        (a download answer cannot take its 200 back). On the local disk the copy is an
        unnamed file in the store's ``tmp/`` folder (the object's own disk, and nothing left
        behind if the process dies); elsewhere in the system's temporary folder.

        Raises:
            ArtifactIntegrityError: the object does not match its digest (nothing is returned).
        """
        folder = None
        if self._local:
            folder = os.path.join(self.root, "tmp")
            os.makedirs(folder, exist_ok=True)
            if os.path.islink(folder):
                folder = None  # a planted link: never write through it
        copy = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 - returned to the caller
        try:
            with self.open(digest) as src:
                shutil.copyfileobj(src, copy, CHUNK)
            copy.seek(0)
        except BaseException:
            copy.close()
            raise
        return copy

    def local_path(self, digest: str) -> Path | None:
        """The object's path when the store is on the local disk, else None."""
        return Path(self.path_for(digest)) if self._local else None

    def local_file(self, digest: str) -> Path | None:
        """The object's file when the store is on the local disk (else None), checked to be
        a regular file inside the store: never a link planted at its name.

        Raises:
            NotFoundError: no such object.
            ForeignEntryError: a link or other non-file sits at the object's name.
        """
        if not self._local:
            return None
        path = self.path_for(digest)
        local.check_regular(path, digest)
        return Path(path)

    def verify(self, digest: str) -> None:
        """Re-hash one object; raise ArtifactIntegrityError if it does not match."""
        path = self.path_for(digest)
        if self._local:
            with local.open_regular(path, digest) as fh:
                h = hasher()
                while chunk := fh.read(CHUNK):
                    h.update(chunk)
            actual = str(h.hexdigest())
        else:
            if not self.exists(digest):
                raise NotFoundError(f"Object {digest} is missing.", digest=digest)
            h = hasher()
            with (
                self._calling(f"reading {digest[:12]}"),
                self.fs.open(path, "rb", **self._read_options()) as fh,
            ):
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
            problem = local.regular(path)
            if problem == "missing":
                return
            if problem is not None:
                raise ForeignEntryError(
                    f"{path} is {problem}, not an object this store wrote: left alone "
                    "(remove it by hand if you did not put it there).",
                    path=path,
                )
            # Objects are read-only; the write bit goes on the file itself, never a target.
            os.chmod(path, 0o644, follow_symlinks=False)
            os.remove(path)
        else:
            with self._calling(f"deleting {digest[:12]}"):
                if self.fs.exists(path):
                    self.fs.rm(path)


class _TransportErrors(io.RawIOBase):
    """A remote file whose connection errors become one-line StoreErrors."""

    def __init__(self, raw: IO[bytes], objects: ObjectStore, digest: str) -> None:
        self._raw = raw
        self._objects = objects
        self._digest = digest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        with self._objects._calling(f"reading {self._digest[:12]}"):
            return self._raw.read(size)

    def close(self) -> None:
        self._raw.close()
        super().close()


def _abandon(out: Any) -> None:
    """Drop a file being written without publishing it (aborts a multipart upload)."""
    discard = getattr(out, "discard", None)
    try:
        if callable(discard):
            discard()
            # Nothing left to flush: closing now only releases the file.
            out.forced = True
            out.close()
    except Exception:  # noqa: BLE001, S110 - the server is gone; the upload expires there
        pass


def _remove_quietly(fs: fsspec.AbstractFileSystem, path: str) -> None:
    try:
        if fs.exists(path):
            fs.rm(path)
    except Exception:  # noqa: BLE001, S110 - a leftover temporary file is not an object
        pass
