"""The local disk's side of the object store: only regular files are objects.

A link planted in the store's folder (at an object's name, or as a whole fan-out folder),
a device or a folder where an object belongs is foreign: it is reported, and never read
through, changed or deleted. Objects are opened with ``O_NOFOLLOW`` where the platform has it.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from jupyter_mlops.errors import ForeignEntryError, NotFoundError, ReadOnlyStoreError, StoreError

#: Write failures that mean "this disk takes no writes now", not a broken store.
_CANNOT_WRITE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}
#: Opening an object never follows a link planted at its name (where the platform can).
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


@dataclass(frozen=True)
class Entry:
    """Something in the store's folder that is not an object: a link, a device, a folder
    where an object should be (``kind``), or a temporary file a writer left (``temporary``),
    with its age in seconds."""

    path: str
    kind: str
    age: float


def fan_outs(root: str) -> Iterator[tuple[str, str]]:
    """(name, path) of the two-character fan-out folders that are real folders, not links."""
    if not os.path.isdir(root) or os.path.islink(root):
        return
    with os.scandir(root) as top:
        for entry in top:
            if len(entry.name) == 2 and entry.is_dir(follow_symlinks=False):
                yield entry.name, entry.path


def kind(entry: os.DirEntry[str]) -> str:
    """What a non-object entry is, in words: a link, a folder, not a regular file."""
    if entry.is_symlink():
        return "a link"
    if entry.is_dir(follow_symlinks=False):
        return "a folder"
    return "not a regular file"


def age(entry: os.DirEntry[str], now: float) -> float:
    """Seconds since the entry (never what it links to) was last changed."""
    try:
        return max(0.0, now - entry.stat(follow_symlinks=False).st_mtime)
    except OSError:
        return 0.0


def temporaries(tmp: os.DirEntry[str], now: float) -> Iterator[Entry]:
    if not tmp.is_dir(follow_symlinks=False):
        yield Entry(tmp.path, kind(tmp), age(tmp, now))
        return
    with os.scandir(tmp.path) as found:
        for entry in found:
            what = "temporary" if entry.is_file(follow_symlinks=False) else kind(entry)
            yield Entry(entry.path, what, age(entry, now))


def regular(path: str) -> str | None:
    """None when ``path`` is a regular file in a real fan-out folder; else what it is."""
    try:
        folder = os.lstat(os.path.dirname(path))
        found = os.lstat(path)
    except FileNotFoundError:
        return "missing"
    if not stat.S_ISDIR(folder.st_mode):
        return "inside a linked folder"
    if stat.S_ISLNK(found.st_mode):
        return "a link"
    if not stat.S_ISREG(found.st_mode):
        return "not a regular file"
    return None


def check_regular(path: str, digest: str) -> None:
    """Raise unless ``path`` is a regular file in a real fan-out folder.

    Raises:
        NotFoundError: nothing is there.
        ForeignEntryError: a link, a device or a folder is there, or the folder is a link.
    """
    problem = regular(path)
    if problem == "missing":
        raise NotFoundError(f"Object {digest} is missing from the artifact store.", digest=digest)
    if problem is not None:
        raise ForeignEntryError(
            f"Object {digest} is {problem}, not a file this store wrote: refusing to read "
            "through it (remove it by hand if you did not put it there).",
            path=path,
        )


def open_regular(path: str, digest: str) -> IO[bytes]:
    """Open an object file, refusing links (O_NOFOLLOW) and linked fan-out folders."""
    check_regular(path, digest)
    try:
        fd = os.open(path, os.O_RDONLY | NOFOLLOW)
    except FileNotFoundError:
        raise NotFoundError(f"Object {digest} is missing.", digest=digest) from None
    except OSError as exc:  # ELOOP: swapped for a link after the check
        raise ForeignEntryError(
            f"Object {digest} became a link while being opened: {exc.strerror}.", path=path
        ) from exc
    return os.fdopen(fd, "rb")


def write_failed(root: str, doing: str, exc: OSError) -> StoreError:
    """One line for a write of the object store at ``root`` that the disk refused."""
    text = f"The artifact store {root} cannot be written while {doing}: {exc.strerror}"
    if exc.errno in _CANNOT_WRITE:
        return ReadOnlyStoreError(
            f"{text}; nothing was written. Reading it still works; free disk space or make "
            "it writable to record."
        )
    return StoreError(f"{text}; nothing was written.")
