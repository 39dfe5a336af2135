"""Folder manifests: a folder version is a JSON list of its files and their digests.

The manifest is stored as an object of its own and its digest is the version's digest, so
two folders with the same files (same relative paths, same bytes) are the same version, and
every file is deduplicated against every other object in the store.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from jupyter_mlops.errors import ArtifactIntegrityError

MANIFEST_TYPE = "jupyter-mlops/folder-manifest"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class Entry:
    """One file of a folder version: its POSIX path inside the folder, digest and size."""

    path: str
    digest: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """The files of a folder version, sorted by path."""

    entries: tuple[Entry, ...]

    @property
    def size(self) -> int:
        return sum(e.size for e in self.entries)

    def to_bytes(self) -> bytes:
        """Canonical JSON: the same files always give the same bytes, hence the same digest."""
        doc = {
            "type": MANIFEST_TYPE,
            "version": MANIFEST_VERSION,
            "files": [{"path": e.path, "digest": e.digest, "size": e.size} for e in self.entries],
        }
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes, *, digest: str) -> Manifest:
        """Parse a stored manifest, refusing one that is not a manifest or escapes its folder."""
        try:
            doc: Any = json.loads(data)
            if doc.get("type") != MANIFEST_TYPE:
                raise ValueError("not a folder manifest")
            entries = tuple(
                Entry(str(f["path"]), str(f["digest"]), int(f["size"])) for f in doc["files"]
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ArtifactIntegrityError(
                f"Object {digest} is not a valid folder manifest ({exc}).", digest=digest
            ) from None
        for entry in entries:
            safe_relative(entry.path, digest=digest)
        return cls(entries)

    @classmethod
    def build(cls, files: dict[str, tuple[str, int]]) -> Manifest:
        """A manifest from ``{relative posix path: (digest, size)}``."""
        return cls(tuple(Entry(p, d, s) for p, (d, s) in sorted(files.items())))


def list_files(folder: Path) -> list[tuple[str, Path]]:
    """Every file under ``folder`` (following file symlinks, not folder symlinks), as
    ``(relative POSIX path, path)`` sorted by relative path."""
    found: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for filename in filenames:
            path = Path(dirpath) / filename
            if path.is_file():
                found.append((path.relative_to(folder).as_posix(), path))
    return sorted(found)


def safe_relative(path: str, *, digest: str) -> PurePosixPath:
    """``path`` as a relative path that stays inside its folder."""
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or ".." in pure.parts or "\x00" in path:
        raise ArtifactIntegrityError(
            f"Folder manifest {digest} names an unsafe path {path!r}.", digest=digest
        )
    return pure
