"""get, latest, read-only paths, to_pandas, info and tags."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import jupyter_mlops.data as data
from jupyter_mlops.data.service import Datasets
from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.store import Store


def write_fails(command: str, path: Path) -> bool:
    """Whether a shell ``command`` (``$1`` = path) fails, as an ordinary user would run it.

    Root ignores permission bits, so as root the command runs without the capabilities
    that bypass them.
    """
    argv = ["sh", "-c", command, "sh", str(path)]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("needs setpriv to drop root's permission override")
        caps = "-dac_override,-fowner"
        argv = ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}", *argv]
    return subprocess.run(argv, capture_output=True, check=False).returncode != 0


@pytest.fixture
def churn(datasets: Datasets, work: Path, frame: pd.DataFrame) -> Path:
    path = work / "churn.csv"
    frame.to_csv(path, index=False)
    datasets.add(path)
    frame.iloc[:50].to_csv(path, index=False)
    datasets.add(path)
    return path


def test_get_latest_and_numbered(datasets: Datasets, churn: Path) -> None:
    assert datasets.get("churn").version == 2
    assert datasets.get("churn@1").version == 1
    assert datasets.get("churn@2") == datasets.get("churn")
    assert len({datasets.get("churn@2"), datasets.get("churn"), datasets.get("churn@1")}) == 2


@pytest.mark.parametrize(
    ("ref", "error", "message"),
    [
        ("nope", NotFoundError, "No dataset 'nope' — `mlops.data.list()` shows the datasets."),
        ("nope@2", NotFoundError, "No dataset 'nope' — `mlops.data.list()` shows the datasets."),
        ("churn@3", NotFoundError,
         "Dataset 'churn' has no version 3 (latest is 2) — `mlops.data.list('churn')` shows "
         "its versions."),
        ("churn@0", MlopsUsageError,
         "Invalid dataset reference 'churn@0': use 'name' for the latest version or 'name@N' "
         "for version N (1, 2, …)."),
    ],
)  # fmt: skip
def test_get_refuses(
    datasets: Datasets, churn: Path, ref: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        datasets.get(ref)
    assert str(info.value) == message


def test_path_is_read_only_file_with_extension(datasets: Datasets, churn: Path) -> None:
    version = datasets.get("churn@1")
    path = version.path()
    assert path.name == "churn.csv"
    assert path.read_bytes() == datasets.store.objects.read_bytes(version.digest)
    assert stat.S_IMODE(path.stat().st_mode) & 0o222 == 0
    assert write_fails('printf x >> "$1"', path)
    assert path.read_bytes() == datasets.store.objects.read_bytes(version.digest)
    assert version.path() == path  # made once, then reused
    # a local object store serves the object itself: no copy
    local = datasets.store.objects.local_path(version.digest)
    assert local is not None and os.path.samefile(path, local)


def test_folder_path_is_read_only_tree(datasets: Datasets, work: Path) -> None:
    folder = work / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    tree = datasets.add(folder).path()
    assert tree.name == "docs"
    assert sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*")) == [
        "a.txt", "sub", "sub/b.txt"
    ]  # fmt: skip
    assert (tree / "sub" / "b.txt").read_text() == "b"
    assert write_fails(': > "$1/new.txt"', tree / "sub")
    assert write_fails('printf x >> "$1"', tree / "a.txt")


def test_to_pandas_round_trip(datasets: Datasets, churn: Path, frame: pd.DataFrame) -> None:
    first = pd.read_csv(io.StringIO(frame.to_csv(index=False)))
    pd.testing.assert_frame_equal(datasets.get("churn@1").to_pandas(), first)
    pd.testing.assert_frame_equal(datasets.get("churn@2").to_pandas(), pd.read_csv(churn))


def test_to_pandas_refuses_non_tables(datasets: Datasets, work: Path) -> None:
    (work / "model.bin").write_bytes(b"\x00\x01")
    version = datasets.add(work / "model.bin")
    with pytest.raises(MlopsUsageError) as info:
        version.to_pandas()
    assert str(info.value) == "model@1 is a 'bin' file, not a table; read it from `.path()`."
    assert version.path().read_bytes() == b"\x00\x01"


def test_info(datasets: Datasets, churn: Path, frame: pd.DataFrame) -> None:
    info = datasets.get("churn@1").info()
    assert set(info) >= {
        "name", "version", "digest", "size", "format", "schema", "row_count", "profile",
        "tags", "created_at", "source_path", "description",
    }  # fmt: skip
    assert (info["name"], info["version"], info["row_count"]) == ("churn", 1, len(frame))
    assert info["source_path"] == str(churn.resolve())
    assert info["profile"]["age"]["mean"] == pytest.approx(frame["age"].mean())


def test_tags(datasets: Datasets, churn: Path) -> None:
    assert datasets.get("churn@1").tags == {}
    tagged = datasets.tag("churn@1", "stage", "raw")
    assert tagged.tags == {"stage": "raw"}
    datasets.tag("churn@1", "stage", "clean")
    datasets.tag("churn", "rows", 50)  # the latest version
    assert datasets.get("churn@1").info()["tags"] == {"stage": "clean"}
    assert datasets.get("churn@2").tags == {"rows": "50"}


def test_module_functions_use_given_store(store: Store, churn: Path) -> None:
    assert data.get("churn", store=store).version == 2
    assert data.tag("churn@1", "k", "v", store=store).tags == {"k": "v"}


def test_repr_and_html(datasets: Datasets, churn: Path) -> None:
    version = datasets.get("churn@2")
    assert (
        str(version)
        == f"churn@2 (csv, {version.size / 1024:.1f} KB, 50 rows, {version.digest[:12]})"
    )
    page = version._repr_html_()
    assert "<strong>churn@2</strong>" in page and "plan" in page
