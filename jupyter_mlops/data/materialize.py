"""Local paths for versions: read-only views in a cache, and writable verified checkouts.

``DatasetVersion.path()`` serves a version from ``<objects>/../cache/data/<name>/<N>-<digest>/``
(``.mlops/cache/data/…`` for the default store). With a local object store each file there is
a hardlink to the immutable, read-only object (a symlink, then a read-only copy, where links are
impossible), so serving even a large version costs no copy; folders become a tree of such files
under read-only directories. Objects are verified against their digest before they are served
(through the state cache, so an object is re-hashed only when its stat changed).

``checkout`` writes ordinary writable files, each verified after it is written; a folder is
built beside its target and moved into place only when every member verified.
"""

from __future__ import annotations

import os
import shutil
import stat
import uuid
from pathlib import Path

from jupyter_mlops.artifacts import ObjectStore
from jupyter_mlops.config import load_config
from jupyter_mlops.data.ingest import copy_file
from jupyter_mlops.data.manifest import Manifest, safe_relative
from jupyter_mlops.data.state import StateCache, hash_file
from jupyter_mlops.data.version import DatasetVersion
from jupyter_mlops.errors import ArtifactIntegrityError, MlopsUsageError, NotFoundError
from jupyter_mlops.store import Store


def cache_root(store: Store) -> Path:
    """Where read-only materializations live, beside the objects when they are local."""
    sample = store.objects.local_path("0" * 64)
    if sample is not None:
        return sample.parent.parent.parent / "cache" / "data"
    config = store.config or load_config()
    return config.mlops_dir / "cache" / "data"


def manifest_of(objects: ObjectStore, digest: str) -> Manifest:
    """The (verified) manifest of a folder version."""
    return Manifest.from_bytes(objects.read_bytes(digest), digest=digest)


def _corrupt(digest: str) -> ArtifactIntegrityError:
    return ArtifactIntegrityError(
        f"Object {digest} is corrupt: its content no longer matches its digest. "
        "Run `jupyter-mlops verify` to list what is affected.",
        digest=digest,
    )


def _missing(objects: ObjectStore, digest: str) -> NotFoundError:
    return NotFoundError(
        f"Object {digest} is missing from the artifact store {objects.root}.", digest=digest
    )


def materialize(version: DatasetVersion, *, state: StateCache | None = None) -> Path:
    """A read-only local path with the content of ``version`` (made once, then reused)."""
    store = version.store
    root = cache_root(store)
    home = root / version.name / f"{version.version}-{version.digest[:12]}"
    target = home / version.filename
    if target.exists() or target.is_symlink():
        return target
    state = state or StateCache(store)
    scratch = root / ".tmp" / uuid.uuid4().hex
    scratch.mkdir(parents=True)
    try:
        built = scratch / version.filename
        if version.kind == "folder":
            built.mkdir()
            for entry in manifest_of(store.objects, version.digest).entries:
                rel = safe_relative(entry.path, digest=version.digest)
                _serve(store.objects, entry.digest, built / rel, state)
        else:
            _serve(store.objects, version.digest, built, state)
        _freeze(scratch)
        home.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(scratch, home)
        except OSError:
            if not target.exists():  # not a concurrent materialization: a real failure
                raise
    finally:
        if scratch.exists():
            _remove_tree(scratch)
    return target


def _serve(objects: ObjectStore, digest: str, dest: Path, state: StateCache) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    local = _local_file(objects, digest)
    if local is None:
        _download(objects, digest, dest)
        os.chmod(dest, 0o444)
        return
    if state.state(local).digest != digest:
        raise _corrupt(digest)
    for make_link in (os.link, os.symlink):
        try:
            make_link(local, dest)
            return
        except OSError:
            continue
    copy_file(local, dest)
    os.chmod(dest, 0o444)


def _local_file(objects: ObjectStore, digest: str) -> Path | None:
    """The object's regular file on the local disk (never a planted link), or None."""
    try:
        return objects.local_file(digest)
    except NotFoundError:
        raise _missing(objects, digest) from None


def _download(objects: ObjectStore, digest: str, dest: Path) -> None:
    with objects.open(digest) as src, open(dest, "wb") as out:
        shutil.copyfileobj(src, out, 4 * 1024 * 1024)


#: r-x for everyone: the tree can be read and entered, not changed
READ_ONLY_DIR = stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH
READ_ONLY_DIR |= stat.S_IXOTH


def _freeze(folder: Path) -> None:
    """Make every directory under ``folder`` (not ``folder`` itself) read-only."""
    for dirpath, _dirnames, _files in os.walk(folder, topdown=False):
        if Path(dirpath) != folder:
            os.chmod(dirpath, READ_ONLY_DIR)


def _remove_tree(folder: Path) -> None:
    for dirpath, _dirnames, _files in os.walk(folder):
        os.chmod(dirpath, READ_ONLY_DIR | stat.S_IWUSR)
    shutil.rmtree(folder, ignore_errors=True)


def checkout(version: DatasetVersion, dest: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write a writable copy of ``version`` at ``dest``, verifying every file's digest.

    A file version given an existing folder as ``dest`` is written inside it under its own
    name. A folder version is written into ``dest`` (created when missing).

    Returns:
        The path written.
    """
    if not isinstance(dest, str | os.PathLike):
        raise MlopsUsageError(f"A checkout goes to a path, not {dest!r}.")
    try:
        return _checkout(version, Path(dest), force=force)
    except OSError as exc:  # the destination, not the store: the store's errors are one line
        where = exc.filename or dest
        raise MlopsUsageError(
            f"Cannot write the checkout at {where}: {exc.strerror or exc}; nothing was "
            "written there. Choose a folder you can write to."
        ) from exc


def _checkout(version: DatasetVersion, target: Path, *, force: bool) -> Path:
    dest = target
    objects = version.store.objects
    if version.kind != "folder":
        if target.is_dir():
            target = target / version.filename
        if target.exists() and not force:
            raise MlopsUsageError(
                f"{str(target)!r} already exists; pass force=True (--force) to overwrite it."
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_verified(objects, version.digest, target)
        return target
    if target.exists() and not target.is_dir():
        raise MlopsUsageError(f"{str(target)!r} is a file; check a folder version out to a folder.")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise MlopsUsageError(
            f"Folder {str(target)!r} is not empty; pass force=True (--force) to write into it."
        )
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Every member is written and verified in a folder beside the target first, and only a
    # complete copy is moved into place: a missing or corrupt member leaves nothing behind.
    scratch = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.tmp"
    scratch.mkdir()
    try:
        for entry in manifest_of(objects, version.digest).entries:
            path = scratch / safe_relative(entry.path, digest=version.digest)
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_verified(objects, entry.digest, path)
        _move_into(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return Path(dest)


def _move_into(scratch: Path, target: Path) -> None:
    """Put the verified tree ``scratch`` at ``target``: renamed whole when the target is
    missing or empty, else file by file over what is there (``force``)."""
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    if not target.exists():
        os.rename(scratch, target)
        return
    for dirpath, _dirnames, files in os.walk(scratch):
        here = target / Path(dirpath).relative_to(scratch)
        here.mkdir(exist_ok=True)
        for name in files:
            os.replace(Path(dirpath) / name, here / name)


def _write_verified(objects: ObjectStore, digest: str, dest: Path) -> None:
    tmp = dest.parent / f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        local = _local_file(objects, digest)
        if local is None:
            _download(objects, digest, tmp)  # the stream verifies as it reaches the end
        else:
            copy_file(local, tmp)
            if hash_file(tmp) != digest:
                raise _corrupt(digest)
        mode = stat.S_IMODE(os.stat(tmp).st_mode) | stat.S_IWUSR
        os.chmod(tmp, mode)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
