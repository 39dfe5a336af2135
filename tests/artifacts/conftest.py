"""Fixtures for the content-addressed store: the same tests on local disk and in memory."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import fsspec
import pytest
from fsspec.implementations.local import LocalFileSystem

from jupyter_mlops.artifacts import ObjectStore


@pytest.fixture(params=["local", "memory"])
def objects(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    """An empty ObjectStore on the local disk or on fsspec's memory filesystem."""
    if request.param == "local":
        yield ObjectStore(LocalFileSystem(), str(tmp_path / "objects"))
        return
    fs = fsspec.filesystem("memory")
    root = f"/cas-{uuid.uuid4().hex}"  # the memory filesystem is shared by the whole process
    try:
        yield ObjectStore(fs, root)
    finally:
        if fs.exists(root):
            fs.rm(root, recursive=True)


@pytest.fixture
def corrupt() -> Callable[[ObjectStore, str], None]:
    """Overwrite a stored object in place, as bit rot or a stray edit would."""

    def overwrite(objects: ObjectStore, digest: str, data: bytes = b"not what was stored") -> None:
        local = objects.local_path(digest)
        if local is None:
            objects.fs.pipe(objects.path_for(digest), data)
            return
        local.chmod(0o644)  # objects are stored read-only
        local.write_bytes(data)
        local.chmod(0o444)

    return overwrite
