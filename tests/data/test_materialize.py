"""Checkouts: writable, verified copies; corrupt objects are named."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

import jupyter_mlops.data as data
from jupyter_mlops.data.service import Datasets
from jupyter_mlops.errors import ArtifactIntegrityError, MlopsUsageError
from jupyter_mlops.store import Store


def corrupt(store: Store, digest: str, content: bytes = b"bit rot") -> None:
    local = store.objects.local_path(digest)
    assert local is not None
    local.chmod(0o644)
    local.write_bytes(content)
    local.chmod(0o444)


def test_checkout_file_is_writable_copy(datasets: Datasets, work: Path) -> None:
    src = work / "data.csv"
    src.write_text("x\n1\n")
    version = datasets.add(src)
    dest = datasets.checkout("data@1", work / "out" / "copy.csv")
    assert dest == work / "out" / "copy.csv"
    assert dest.read_text() == "x\n1\n"
    assert stat.S_IMODE(dest.stat().st_mode) & stat.S_IWUSR
    dest.write_text("edited")  # a normal file: editing it leaves the version alone
    assert datasets.store.objects.read_bytes(version.digest) == b"x\n1\n"


def test_checkout_into_folder_uses_version_name(datasets: Datasets, work: Path) -> None:
    src = work / "data.csv"
    src.write_text("x\n1\n")
    datasets.add(src)
    (work / "out").mkdir()
    assert datasets.checkout("data", work / "out") == work / "out" / "data.csv"


def test_checkout_refuses_to_overwrite(datasets: Datasets, work: Path) -> None:
    src = work / "data.csv"
    src.write_text("x\n1\n")
    datasets.add(src)
    with pytest.raises(MlopsUsageError) as info:
        datasets.checkout("data", src)
    assert str(info.value) == (
        f"'{src}' already exists; pass force=True (--force) to overwrite it."
    )
    src.write_text("changed")
    datasets.checkout("data", src, force=True)
    assert src.read_text() == "x\n1\n"


def test_checkout_folder(datasets: Datasets, work: Path) -> None:
    folder = work / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    datasets.add(folder)
    out = datasets.checkout("docs", work / "restored")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "a.txt", "sub", "sub/b.txt"
    ]  # fmt: skip
    (out / "sub" / "new.txt").write_text("writable tree")
    with pytest.raises(MlopsUsageError, match="is not empty; pass force=True"):
        datasets.checkout("docs", out)


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_checkout_of_corrupt_object_names_digest(datasets: Datasets, work: Path, kind: str) -> None:
    src = work / "data.csv"
    src.write_text("x\n1\n")
    if kind == "folder":
        folder = work / "f"
        folder.mkdir()
        os.replace(src, folder / "data.csv")
        manifest = datasets.store.objects.read_bytes(datasets.add(folder).digest)
        digest = json.loads(manifest)["files"][0]["digest"]
    else:
        digest = datasets.add(src).digest
    corrupt(datasets.store, digest)
    dest = work / "out"
    with pytest.raises(ArtifactIntegrityError) as info:
        datasets.checkout("f" if kind == "folder" else "data", dest)
    assert info.value.digest == digest
    assert str(info.value) == (
        f"Object {digest} is corrupt: its content no longer matches its digest. "
        "Run `jupyter-mlops verify` to list what is affected."
    )
    leftovers = [p for p in dest.rglob("*") if p.is_file()] if dest.exists() else []
    assert leftovers == []  # nothing half-written


def test_path_of_corrupt_object_is_refused(datasets: Datasets, work: Path) -> None:
    src = work / "data.csv"
    src.write_text("x\n1\n")
    version = datasets.add(src)
    corrupt(datasets.store, version.digest, b"x\n9\n")
    with pytest.raises(ArtifactIntegrityError) as info:
        version.path()
    assert info.value.digest == version.digest


def test_checkout_from_memory_store(
    make_store: Callable[..., Store], work: Path, project: Path
) -> None:
    store = make_store(objects="memory")
    src = work / "data.csv"
    src.write_text("x\n1\n")
    Datasets(store).add(src)
    out = data.checkout("data", work / "copy.csv", store=store)
    assert out.read_text() == "x\n1\n"
    path = data.get("data", store=store).path()
    assert path.read_text() == "x\n1\n"
    assert path.is_relative_to(project / ".mlops" / "cache" / "data")
    assert stat.S_IMODE(path.stat().st_mode) & 0o222 == 0
