"""Link modes: how an added file's bytes reach the object store."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from jupyter_mlops.data.ingest import store_file
from jupyter_mlops.data.service import Datasets
from jupyter_mlops.data.state import FileState, hash_file
from jupyter_mlops.errors import ArtifactIntegrityError, MlopsUsageError
from jupyter_mlops.store import Store


def source(work: Path, data: bytes = b"some bytes\n" * 100) -> Path:
    path = work / "data.bin"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("link", ["auto", "copy"])
def test_copying_modes_leave_source_alone(datasets: Datasets, work: Path, link: str) -> None:
    path = source(work)
    mode = stat.S_IMODE(path.stat().st_mode)
    version = datasets.add(path, link=link)  # type: ignore[arg-type]
    obj = datasets.store.objects.local_path(version.digest)
    assert obj is not None and not os.path.samefile(obj, path)
    assert stat.S_IMODE(obj.stat().st_mode) == 0o444
    assert stat.S_IMODE(path.stat().st_mode) == mode
    path.write_bytes(b"edited")  # editing the source cannot touch the object
    assert datasets.store.objects.read_bytes(version.digest) == b"some bytes\n" * 100


def test_hardlink_shares_the_read_only_inode(datasets: Datasets, work: Path) -> None:
    path = source(work)
    version = datasets.add(path, link="hardlink")
    obj = datasets.store.objects.local_path(version.digest)
    assert obj is not None and os.path.samefile(obj, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o444  # DVC's "protected" mode
    assert datasets.add(path, link="hardlink") == version


def test_reflink_mode(datasets: Datasets, work: Path) -> None:
    path = source(work)
    try:
        version = datasets.add(path, link="reflink")
    except MlopsUsageError as exc:
        assert str(exc) == (
            f"The filesystem of '{path.resolve()}' cannot make reflinks; use link='auto' or 'copy'."
        )
        assert not list(datasets.store.objects.iter_digests())
        return
    obj = datasets.store.objects.local_path(version.digest)
    assert obj is not None and not os.path.samefile(obj, path)


def test_file_changed_after_hashing_is_refused(store: Store, work: Path) -> None:
    path = source(work)
    st = path.stat()
    state = FileState(path, st.st_size, st.st_mtime_ns, st.st_ino, hash_file(path))
    with open(path, "ab") as fh:
        fh.write(b"appended after hashing")
    with pytest.raises(ArtifactIntegrityError) as info:
        store_file(store.objects, state)
    assert str(info.value) == f"'{path}' changed while it was being added; add it again."
    assert not list(store.objects.iter_digests())
    scratch = Path(store.objects.root) / "tmp"
    assert not scratch.exists() or not list(scratch.iterdir())
