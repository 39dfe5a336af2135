"""mlops.data.list(): datasets with their latest version, or one dataset's versions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import jupyter_mlops.data as data
from jupyter_mlops.data.listing import DATASET_COLUMNS, VERSION_COLUMNS
from jupyter_mlops.data.service import Datasets
from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.store import Store


def test_list_empty_store(store: Store) -> None:
    frame = data.list(store=store)
    assert list(frame.columns) == DATASET_COLUMNS and frame.empty


def test_list_datasets_and_versions(store: Store, datasets: Datasets, work: Path) -> None:
    path = work / "sales.csv"
    path.write_text("x\n1\n")
    datasets.add(path, description="sales data")
    path.write_text("x\n1\n2\n")
    datasets.add(path)
    datasets.add(pd.DataFrame({"a": [1.5]}), "features")
    datasets.tag("sales@2", "stage", "clean")

    frame = data.list(store=store)
    assert list(frame.columns) == DATASET_COLUMNS
    assert frame[["name", "latest", "versions", "format", "rows"]].to_dict("records") == [
        {"name": "features", "latest": 1, "versions": 1, "format": "parquet", "rows": 1},
        {"name": "sales", "latest": 2, "versions": 2, "format": "csv", "rows": 2},
    ]
    assert frame["description"].isna().tolist() == [True, False]
    assert frame["description"][1] == "sales data"
    assert str(frame["created_at"].dtype).startswith("datetime64")

    versions = data.list("sales", store=store)
    assert list(versions.columns) == VERSION_COLUMNS
    assert versions[["ref", "version", "rows", "tags"]].to_dict("records") == [
        {"ref": "sales@1", "version": 1, "rows": 1, "tags": ""},
        {"ref": "sales@2", "version": 2, "rows": 2, "tags": "stage=clean"},
    ]
    assert versions["description"].isna().tolist() == [False, True]


def test_list_unknown_dataset(store: Store) -> None:
    with pytest.raises(NotFoundError) as info:
        data.list("nope", store=store)
    assert str(info.value) == "No dataset 'nope' — `mlops.data.list()` shows the datasets."


def test_public_surface() -> None:
    assert sorted(data.__all__) == data.__all__
    assert data.__all__ == [
        "DataDiff", "DatasetVersion", "add", "checkout", "diff", "get", "list", "tag",
    ]  # fmt: skip
    # Names load on first use (pandas is not imported before a dataset is read).
    for name in data.__all__:
        getattr(data, name)
    public = {n for n in vars(data) if not n.startswith("_")}
    modules = {n for n, v in vars(data).items() if type(v).__name__ == "module"}
    assert public - modules == set(data.__all__)
    assert data.list is data.api.list_datasets
    assert callable(data.diff)  # the function, not a submodule of that name
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        data.nope  # noqa: B018
