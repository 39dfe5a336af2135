"""Capture of files read with pandas readers, as run inputs with their content digest."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd
import pytest

import jupyter_mlops as mlops
from jupyter_mlops.artifacts.cas import hash_file
from jupyter_mlops.tracking.capture import capturing
from jupyter_mlops.tracking.capture.fingerprint import fingerprint
from jupyter_mlops.tracking.capture.pandas_io import file_digest


@pytest.fixture
def run(store):
    with mlops.start_run(store=store, experiment="t") as run:
        yield run


@pytest.fixture
def csv_file(clean_workdir: Path) -> Path:
    path = clean_workdir / "data" / "train.csv"
    path.parent.mkdir()
    pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}).to_csv(path, index=False)
    return path


def cell(run, code, ns):
    with capturing(run, user_ns=ns):
        exec(code, ns)


def finished(run, store):
    run.end()
    return mlops.get_run(run.id, store=store)


def test_read_csv_records_the_file_with_its_digest(run, store, csv_file) -> None:
    ns = {"pd": pd}
    cell(run, "df = pd.read_csv('data/train.csv')", ns)
    rec = finished(run, store)
    [entry] = rec.inputs
    assert (entry.role, entry.kind, entry.source) == ("input", "file", "data/train.csv")
    assert entry.digest == hash_file(csv_file)
    assert entry.size == csv_file.stat().st_size
    assert entry.info == {"reader": "read_csv", "rows": 3, "columns": ["a", "b"], "stored": True}
    assert ns["df"].shape == (3, 2)  # the cell's result is untouched
    # The bytes are kept, so the run can be reproduced from its record.
    assert store.objects.read_bytes(entry.digest) == csv_file.read_bytes()


def test_a_file_above_capture_max_file_bytes_is_only_fingerprinted(
    run, store, csv_file, monkeypatch
) -> None:
    monkeypatch.setenv("MLOPS_CAPTURE_MAX_FILE_BYTES", "10")
    cell(run, "df = pd.read_csv('data/train.csv')", {"pd": pd})
    rec = finished(run, store)
    [entry] = rec.inputs
    assert entry.info["stored"] is False
    assert not store.objects.exists(entry.digest)
    size = csv_file.stat().st_size
    assert rec.tags["mlops.reproducible_record"] == (
        f"false: data/train.csv is {size} bytes, above capture_max_file_bytes (10); "
        "only its digest was recorded"
    )


def test_reader_imported_before_the_cell_and_paths_outside_the_cwd(
    run, store, csv_file, tmp_path
) -> None:
    outside = tmp_path / "elsewhere.parquet"
    pd.DataFrame({"v": [1.5, 2.5]}).to_parquet(outside)
    ns = {"read_csv": pd.read_csv, "read_parquet": pd.read_parquet, "outside": outside, "os": os}
    cell(run, "a = read_csv(os.path.abspath('data/train.csv'))\nb = read_parquet(outside)", ns)
    assert ns["read_csv"] is pd.read_csv
    rec = finished(run, store)
    sources = {i.source: i for i in rec.inputs}
    assert set(sources) == {"data/train.csv", outside.resolve().as_posix()}
    assert sources[outside.resolve().as_posix()].info["reader"] == "read_parquet"


def test_the_same_file_read_twice_is_one_input(run, store, csv_file) -> None:
    ns = {"pd": pd}
    cell(run, f"a = pd.read_csv('data/train.csv')\nb = pd.read_csv(r'{csv_file}')", ns)
    cell(run, "c = pd.read_csv('data/train.csv')", ns)
    assert len(finished(run, store).inputs) == 1


def test_a_buffer_is_recorded_by_the_fingerprint_of_the_frame_read(run, store) -> None:
    ns = {"pd": pd, "io": io}
    cell(run, "df = pd.read_csv(io.StringIO('a,b\\n1,2\\n'))", ns)
    [entry] = finished(run, store).inputs
    assert (entry.kind, entry.source) == ("buffer", "<StringIO>")
    assert entry.digest == fingerprint(ns["df"]).digest


def test_a_failed_read_records_nothing(run, store) -> None:
    with pytest.raises(FileNotFoundError):
        cell(run, "pd.read_csv('missing.csv')", {"pd": pd})
    assert finished(run, store).inputs == []


def test_file_digests_are_cached_until_the_file_changes(csv_file) -> None:
    first = file_digest(str(csv_file))
    assert file_digest(str(csv_file)) == first
    csv_file.write_text("a,b\n9,9\n")
    os.utime(csv_file, ns=(1, 1))
    changed = file_digest(str(csv_file))
    assert changed != first
    assert changed[0] == hash_file(csv_file)


def test_a_parquet_folder_digests_its_files(tmp_path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(2):
        pd.DataFrame({"v": [i]}).to_parquet(folder / f"part-{i}.parquet")
    digest, size = file_digest(str(folder))
    assert size == sum(p.stat().st_size for p in folder.iterdir())
    (folder / "part-1.parquet").unlink()
    assert file_digest(str(folder))[0] != digest
