"""Put local files into the content-addressed store: copy, reflink or hardlink.

Adding a file hashes it (or finds its digest in the state cache) and then places its bytes at
the object's path. How the bytes get there is the ``link`` mode, after DVC's cache types:

``auto`` (default)
    A reflink (copy-on-write clone: instant, no extra space, and the object stays immutable
    whatever happens to the source) where the filesystem supports it (btrfs, XFS, bcachefs,
    OCFS2), else a kernel-side copy (``copy_file_range``).
``copy``
    Always a full copy; the safe choice everywhere.
``reflink``
    A clone, or MlopsUsageError if the filesystem cannot clone.
``hardlink``
    Opt-in and unsafe for files that will be edited. The object *is* the source file (same
    inode), so adding costs only the hash. To keep objects immutable the shared inode is made
    read-only, which makes the source file read-only too (DVC's "protected" mode); a program
    running as root, or one that already holds the file open for writing, can still change it,
    and the object is then corrupt (every read verifies the digest, so corruption is reported,
    never served). Use it for large write-once files; it falls back to a copy across
    filesystems.

The object is installed only when the source's size, mtime and inode are the ones its digest
was computed from, so a file edited while it was added is refused rather than stored under a
wrong digest.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Literal

from jupyter_mlops.artifacts import ObjectInfo, ObjectStore
from jupyter_mlops.data.state import FileState, hash_file
from jupyter_mlops.errors import ArtifactIntegrityError, MlopsUsageError

LinkMode = Literal["auto", "copy", "reflink", "hardlink"]
LINK_MODES: tuple[str, ...] = ("auto", "copy", "reflink", "hardlink")
_FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)
_NO_CLONE = {errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EINVAL, errno.ENOTTY, errno.EBADF}


def check_link(link: object) -> LinkMode:
    """Return ``link`` if it is a link mode, else raise MlopsUsageError."""
    if link not in LINK_MODES:
        raise MlopsUsageError(f"Unknown link mode {link!r}: use one of {', '.join(LINK_MODES)}.")
    return link  # type: ignore[return-value]


def scratch_dir(objects: ObjectStore) -> Path:
    """A folder for temporary files on the same filesystem as the objects, when local."""
    root = objects.local_path("0" * 64)
    folder = root.parent.parent / "tmp" if root is not None else Path(tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_file(objects: ObjectStore, state: FileState, *, link: LinkMode = "auto") -> str:
    """Make sure object ``state.digest`` holds the bytes of ``state.path``.

    Returns:
        How the bytes were placed: ``present``, ``reflink``, ``copy``, ``hardlink``, ``upload``.

    Raises:
        ArtifactIntegrityError: The file changed since its digest was computed.
        MlopsUsageError: ``link="reflink"`` on a filesystem that cannot clone.
    """
    if objects.exists(state.digest):
        return "present"
    final = objects.local_path(state.digest)
    if final is None:
        objects.put_file(state.path, digest=state.digest)
        return "upload"
    tmp = scratch_dir(objects) / uuid.uuid4().hex
    try:
        how = _place(state.path, tmp, link)
        if not state.matches(os.stat(state.path)):
            raise ArtifactIntegrityError(
                f"{str(state.path)!r} changed while it was being added; add it again.",
                digest=state.digest,
            )
        _install(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return how


def store_owned_file(objects: ObjectStore, path: Path) -> ObjectInfo:
    """Move a temporary file this process wrote into the store (no copy when local)."""
    try:
        digest = hash_file(path)
        size = path.stat().st_size
        final = objects.local_path(digest)
        if objects.exists(digest):
            return ObjectInfo(digest, size)
        if final is None:
            return objects.put_file(path, digest=digest)
        _install(path, final)
        return ObjectInfo(digest, size)
    finally:
        path.unlink(missing_ok=True)


def _install(tmp: Path, final: Path) -> None:
    # Read-only before it becomes visible: objects are immutable.
    os.chmod(tmp, 0o444)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, final)


def _place(src: Path, dst: Path, link: LinkMode) -> str:
    if link == "hardlink":
        try:
            os.link(src, dst)
            return "hardlink"
        except OSError as exc:
            if exc.errno not in {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP}:
                raise
        link = "copy"
    if link in ("auto", "reflink") and _reflink(src, dst):
        return "reflink"
    if link == "reflink":
        raise MlopsUsageError(
            f"The filesystem of {str(src)!r} cannot make reflinks; use link='auto' or 'copy'."
        )
    copy_file(src, dst)
    return "copy"


def _reflink(src: Path, dst: Path) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    import fcntl  # start-up: Linux-only module, imported where the platform was checked

    with open(src, "rb") as fin, open(dst, "wb") as fout:
        try:
            fcntl.ioctl(fout.fileno(), _FICLONE, fin.fileno())
        except OSError as exc:
            if exc.errno in _NO_CLONE:
                return False
            raise
    return True


def copy_file(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` in the kernel where possible (a clone on filesystems that can)."""
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        size = os.fstat(fin.fileno()).st_size
        copied = 0
        try:
            # In the kernel: no user-space buffer, and a clone on filesystems that can.
            while copied < size:
                n = os.copy_file_range(fin.fileno(), fout.fileno(), size - copied)
                if n == 0:
                    break
                copied += n
        except (AttributeError, OSError):
            fin.seek(0)
            fout.seek(0)
            fout.truncate()
            shutil.copyfileobj(fin, fout, 4 * 1024 * 1024)
