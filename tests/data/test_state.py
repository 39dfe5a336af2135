"""The file state cache: unchanged files are not read again, changed ones are."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from jupyter_mlops.data.service import Datasets
from jupyter_mlops.data.state import StateCache, hash_file
from jupyter_mlops.errors import ArtifactIntegrityError
from jupyter_mlops.store import Store
from jupyter_mlops.store import tables as t

from .conftest import CountingHasher, later


def test_unchanged_file_is_not_hashed_again(
    datasets: Datasets, hasher: CountingHasher, work: Path
) -> None:
    path = work / "big.bin"
    path.write_bytes(os.urandom(100_000))
    first = datasets.add(path)
    assert len(hasher.calls) == 1
    assert datasets.add(path) == first
    assert datasets.add(path, "another-name").digest == first.digest
    assert len(hasher.calls) == 1


def test_state_row_is_keyed_on_host_and_resolved_path(
    datasets: Datasets, store: Store, work: Path
) -> None:
    path = work / "x.bin"
    path.write_bytes(b"abc")
    os.chdir(work)
    version = datasets.add("x.bin")
    with store.read() as conn:
        rows = conn.execute(select(t.file_state)).mappings().all()
    st = path.stat()
    assert [
        (r["host"], r["path"], r["size"], r["mtime_ns"], r["inode"], r["digest"]) for r in rows
    ] == [(datasets.state.host, str(path.resolve()), 3, st.st_mtime_ns, st.st_ino, version.digest)]


def test_touched_file_is_hashed_again(
    datasets: Datasets, hasher: CountingHasher, work: Path
) -> None:
    path = work / "data.csv"
    path.write_text("x\n1\n")
    first = datasets.add(path)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert datasets.add(path) == first  # same content: re-hashed, same version
    assert len(hasher.calls) == 2


def test_same_size_edit_is_next_version(
    datasets: Datasets, hasher: CountingHasher, work: Path
) -> None:
    path = work / "data.csv"
    path.write_text("x\n1\n")
    datasets.add(path)
    path.write_text("x\n2\n")  # same size, new mtime
    assert datasets.add(path).version == 2
    assert len(hasher.calls) == 2


def test_replaced_file_with_same_stat_is_hashed_again(
    datasets: Datasets, hasher: CountingHasher, work: Path
) -> None:
    path = work / "data.csv"
    path.write_text("x\n1\n")
    st = path.stat()
    datasets.add(path)
    other = work / "other.csv"
    other.write_text("x\n2\n")
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, path)  # same size and mtime, new inode
    assert datasets.add(path).version == 2
    assert len(hasher.calls) == 2


def test_fresh_file_is_not_trusted_yet(store: Store, work: Path) -> None:
    """An entry recorded within a timestamp tick of the last write proves nothing (racy)."""
    hasher = CountingHasher()
    state = StateCache(store, hasher=hasher)  # the real clock
    path = work / "data.csv"
    path.write_text("x\n1\n")
    now = time.time()
    os.utime(path, (now, now))
    state.state(path)
    state.state(path)
    assert len(hasher.calls) == 2
    os.utime(path, (now - 60, now - 60))
    state.state(path)
    state.state(path)
    assert len(hasher.calls) == 3


def test_unchanged_folder_is_not_hashed_again(
    datasets: Datasets, hasher: CountingHasher, work: Path
) -> None:
    folder = work / "images"
    folder.mkdir()
    for i in range(5):
        (folder / f"{i}.png").write_bytes(bytes([i]) * 100)
    first = datasets.add(folder)
    assert len(hasher.calls) == 5
    assert datasets.add(folder) == first
    assert len(hasher.calls) == 5
    (folder / "3.png").write_bytes(b"changed")
    second = datasets.add(folder)
    assert second.version == 2 and len(hasher.calls) == 6


def test_file_changing_while_hashed_is_refused(store: Store, work: Path) -> None:
    path = work / "data.bin"
    path.write_bytes(b"a" * 1000)

    def racing_hasher(p: Path) -> str:
        digest = hash_file(p)
        with open(p, "ab") as fh:
            fh.write(b"more")
        return digest

    state = StateCache(store, hasher=racing_hasher, clock=later)
    with pytest.raises(ArtifactIntegrityError, match="changed while it was being hashed"):
        Datasets(store, state=state).add(path)
    with store.read() as conn:
        assert conn.execute(select(t.file_state)).first() is None
        assert conn.execute(select(t.dataset_versions)).first() is None


@pytest.mark.parametrize("size", [0, 1, 4 * 1024 * 1024, 4 * 1024 * 1024 + 17])
def test_streamed_hash_equals_blake3(tmp_path: Path, size: int) -> None:
    import blake3

    from jupyter_mlops.artifacts import hash_file as cas_hash_file

    path = tmp_path / "f"
    data = os.urandom(size)
    path.write_bytes(data)
    assert hash_file(path) == blake3.blake3(data).hexdigest() == cas_hash_file(path)
