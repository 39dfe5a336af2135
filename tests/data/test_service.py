"""Adding files, folders and DataFrames: versions, dedup, formats, bad input."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import jupyter_mlops.data as data
from jupyter_mlops.data import records
from jupyter_mlops.data.service import Datasets
from jupyter_mlops.errors import MlopsUsageError, MlopsWarning
from jupyter_mlops.store import Store
from jupyter_mlops.store import tables as t


def count(store: Store, table: t.Table) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def objects_in(store: Store) -> set[str]:
    return set(store.objects.iter_digests())


def test_add_csv(datasets: Datasets, work: Path, frame: pd.DataFrame) -> None:
    path = work / "churn.csv"
    frame.to_csv(path, index=False)
    version = datasets.add(path, description="first cut")
    assert (version.name, version.version, version.ref) == ("churn", 1, "churn@1")
    assert version.format == "csv" and version.kind == "file"
    assert version.size == path.stat().st_size
    assert version.row_count == len(frame)
    assert version.source_path == str(path.resolve())
    assert version.description == "first cut"
    loaded = pd.read_csv(path)
    assert version.schema == [{"name": c, "type": str(loaded[c].dtype)} for c in loaded.columns]
    assert datasets.store.objects.read_bytes(version.digest) == path.read_bytes()


def test_add_parquet(datasets: Datasets, work: Path, frame: pd.DataFrame) -> None:
    path = work / "churn.parquet"
    frame.to_parquet(path)
    version = datasets.add(path, "churn-pq")
    assert version.format == "parquet"
    assert version.row_count == len(frame)
    assert [c["name"] for c in version.schema or []] == list(frame.columns)
    assert version.profile is not None and version.profile["plan"]["missing"] == pytest.approx(
        frame["plan"].isna().mean()
    )


def test_add_dataframe(datasets: Datasets, frame: pd.DataFrame) -> None:
    version = datasets.add(frame, "churn")
    assert (version.kind, version.format, version.source_path) == ("dataframe", "parquet", None)
    assert version.row_count == len(frame)
    pd.testing.assert_frame_equal(version.to_pandas(), frame)


def test_same_frame_twice_same_digest(datasets: Datasets, frame: pd.DataFrame) -> None:
    first = datasets.add(frame, "churn")
    again = datasets.add(frame.copy(deep=True), "churn")
    assert again == first
    other = datasets.add(frame.copy(deep=True), "other")
    assert other.digest == first.digest


def test_frame_row_numbering_is_not_data(datasets: Datasets, frame: pd.DataFrame) -> None:
    renumbered = frame.copy()
    renumbered.index = pd.RangeIndex(100, 100 + len(frame))
    first = datasets.add(frame, "churn")
    assert datasets.add(renumbered.reset_index(drop=True), "churn") == first


def test_frame_meaningful_index_round_trips(datasets: Datasets, frame: pd.DataFrame) -> None:
    indexed = frame.set_index(pd.Index([f"c{i}" for i in range(len(frame))], name="customer"))
    version = datasets.add(indexed, "customers")
    pd.testing.assert_frame_equal(version.to_pandas(), indexed)
    assert "customer" not in [c["name"] for c in version.schema or []]


def test_empty_frame_is_allowed(datasets: Datasets) -> None:
    empty = pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype="str")})
    version = datasets.add(empty, "empty")
    assert version.row_count == 0
    assert version.schema == [{"name": "a", "type": "int64"}, {"name": "b", "type": "str"}]
    assert version.profile == {
        "a": {"type": "int64", "missing": 0.0, "min": None, "max": None, "mean": None,
              "std": None},
        "b": {"type": "str", "missing": 0.0, "distinct": 0, "top": []},
    }  # fmt: skip
    assert len(version.to_pandas()) == 0


def test_add_folder(datasets: Datasets, work: Path, frame: pd.DataFrame) -> None:
    folder = work / "images"
    (folder / "cats").mkdir(parents=True)
    (folder / "cats" / "a.jpg").write_bytes(b"cat-a")
    (folder / "dog.jpg").write_bytes(b"dog")
    (folder / "copy.jpg").write_bytes(b"dog")
    version = datasets.add(folder)
    assert (version.name, version.kind, version.format) == ("images", "folder", "folder")
    assert version.size == len(b"cat-a") + 2 * len(b"dog")
    assert version.row_count is None and version.schema is None
    manifest = json.loads(datasets.store.objects.read_bytes(version.digest))
    assert manifest["type"] == "jupyter-mlops/folder-manifest"
    assert [f["path"] for f in manifest["files"]] == ["cats/a.jpg", "copy.jpg", "dog.jpg"]
    for entry in manifest["files"]:
        assert (
            datasets.store.objects.read_bytes(entry["digest"])
            == (folder / entry["path"]).read_bytes()
        )
    # the manifest and two distinct contents: the duplicate file is stored once
    assert len(objects_in(datasets.store)) == 3


def test_add_other_file(datasets: Datasets, work: Path) -> None:
    path = work / "weights.bin"
    path.write_bytes(os.urandom(1000))
    version = datasets.add(path)
    assert (version.format, version.row_count, version.schema, version.profile) == (
        "bin", None, None, None
    )  # fmt: skip
    no_extension = work / "README"
    no_extension.write_text("hello")
    assert datasets.add(no_extension).format == "binary"


def test_dedup_same_bytes_stored_once(datasets: Datasets, work: Path) -> None:
    a, b = work / "a.csv", work / "b.csv"
    a.write_text("x,y\n1,2\n")
    b.write_text("x,y\n1,2\n")
    first = datasets.add(a, "data")
    assert datasets.add(a, "data") == first
    assert datasets.add(b, "data") == first  # same bytes from another path: same version
    other = datasets.add(b, "other")
    assert other.digest == first.digest and other.version == 1
    assert objects_in(datasets.store) == {first.digest}
    assert count(datasets.store, t.dataset_versions) == 2


def test_changed_content_is_next_version(datasets: Datasets, work: Path) -> None:
    path = work / "data.csv"
    path.write_text("x\n1\n")
    v1 = datasets.add(path)
    path.write_text("x\n1\n2\n")
    v2 = datasets.add(path, description="more rows")
    assert (v1.version, v2.version) == (1, 2)
    assert v2.row_count == 2 and v2.description == "more rows"
    path.write_text("x\n1\n")  # back to the first content: a new version all the same
    v3 = datasets.add(path)
    assert v3.version == 3 and v3.digest == v1.digest


def test_known_content_is_not_profiled_again(datasets: Datasets, work: Path) -> None:
    path = work / "data.csv"
    path.write_text("x\n1\n")
    first = datasets.add(path, "a")
    assert datasets.add(path, "b").profile == first.profile


def test_unreadable_csv_is_versioned_without_profile(datasets: Datasets, work: Path) -> None:
    path = work / "broken.csv"
    path.write_bytes(b"")
    with pytest.warns(MlopsWarning, match="could not be read as csv"):
        version = datasets.add(path)
    assert version.version == 1 and version.profile is None and version.row_count is None


def test_name_defaults_and_module_api(store: Store, work: Path) -> None:
    path = work / "sales.2024.csv"
    path.write_text("x\n1\n")
    version = data.add(path, store=store)
    assert version.name == "sales.2024"
    assert data.get("sales.2024", store=store) == version


class Weird:
    pass


BAD_INPUT: list[tuple[Callable[[Path], object], dict[str, object], str]] = [
    (lambda w: w / "missing.csv", {},
     "No file or folder '{w}/missing.csv' to add; check the path."),
    (lambda w: w / "empty", {}, "Folder '{w}/empty' has no files to version."),
    (lambda w: Weird(), {"name": "x"},
     "Cannot add a Weird: give a file or folder path, or a pandas DataFrame."),
    (lambda w: [1, 2], {"name": "x"},
     "Cannot add a list: give a file or folder path, or a pandas DataFrame."),
    (lambda w: pd.DataFrame({"a": [1]}), {},
     "Give a name when adding a DataFrame: mlops.data.add(df, name='churn')."),
    (lambda w: pd.DataFrame({"a": [1]}), {"name": "a/b"},
     "Invalid dataset name 'a/b': use 1-128 letters, digits, '.', '_' or '-', starting with a "
     "letter or digit."),
    (lambda w: w / "ok.csv", {"name": "team/churn"},
     "Invalid dataset name 'team/churn': use 1-128 letters, digits, '.', '_' or '-', starting "
     "with a letter or digit."),
    (lambda w: w / ".hidden", {},
     "Cannot make a dataset name from '.hidden'; pass one: name='churn'."),
    (lambda w: pd.DataFrame(index=range(3)), {"name": "x"},
     "The DataFrame has no columns; there is nothing to version."),
    (lambda w: pd.DataFrame({"a": [1, "x"]}), {"name": "x"},
     "The DataFrame cannot be stored as Parquet: Conversion failed for column a with type "
     "object. Give each column one type (e.g. df[col].astype(str)) and unique names."),
    (lambda w: pd.DataFrame([[1, 2]], columns=["a", "a"]), {"name": "x"},
     "The DataFrame cannot be stored as Parquet: Duplicate column names found: ['a', 'a']. "
     "Give each column one type (e.g. df[col].astype(str)) and unique names."),
    (lambda w: w / "ok.csv", {"description": 3}, "A description must be a string, not int."),
    (lambda w: w / "ok.csv", {"link": "symlink"},
     "Unknown link mode 'symlink': use one of auto, copy, reflink, hardlink."),
]  # fmt: skip


@pytest.mark.parametrize(("source", "options", "message"), BAD_INPUT)
def test_bad_input(
    datasets: Datasets,
    work: Path,
    source: Callable[[Path], object],
    options: dict[str, object],
    message: str,
) -> None:
    (work / "empty" / "sub").mkdir(parents=True)
    (work / "ok.csv").write_text("x\n1\n")
    (work / ".hidden").write_text("x")
    with pytest.raises(MlopsUsageError) as info:
        datasets.add(source(work), **options)  # type: ignore[arg-type]
    assert str(info.value) == message.format(w=work)
    # nothing half-written: no dataset, no version
    assert count(datasets.store, t.datasets) == 0
    assert count(datasets.store, t.dataset_versions) == 0


def test_missing_object_is_restored_on_re_add(store: Store, work: Path) -> None:
    path = work / "data.csv"
    path.write_text("x\n1\n")
    digest = Datasets(store).add(path).digest
    store.objects.delete(digest)
    restored = Datasets(store).add(path)
    assert restored.version == 1 and store.objects.exists(digest)


def test_version_rows_are_one_transaction(store: Store) -> None:
    values = {"digest": "0" * 64, "size": None, "format": "csv", "kind": "file"}
    with pytest.raises(IntegrityError):
        records.insert_version(store, "broken", values, description=None)
    # the dataset row inserted first in the same transaction was rolled back with it
    assert count(store, t.datasets) == 0


def test_memory_object_store(make_store: Callable[..., Store], work: Path) -> None:
    store = make_store(objects="memory")
    path = work / "data.csv"
    path.write_text("x,y\n1,a\n2,b\n")
    version = Datasets(store).add(path)
    assert version.row_count == 2
    assert store.objects.read_bytes(version.digest) == path.read_bytes()
    pd.testing.assert_frame_equal(version.to_pandas(), pd.read_csv(path))


def test_folder_of_parquet_to_pandas(datasets: Datasets, work: Path) -> None:
    folder = work / "parts"
    folder.mkdir()
    parts = [pd.DataFrame({"x": np.arange(i * 3, i * 3 + 3)}) for i in range(2)]
    for i, part in enumerate(parts):
        part.to_parquet(folder / f"part-{i}.parquet", index=False)
    version = datasets.add(folder)
    pd.testing.assert_frame_equal(version.to_pandas(), pd.concat(parts, ignore_index=True))
