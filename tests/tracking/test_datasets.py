"""A run's datasets: run.log_dataset and files read, refused once the run has ended."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import jupyter_mlops as mlops
from jupyter_mlops.data.service import Datasets
from jupyter_mlops.data.state import hash_file
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.store import Store
from jupyter_mlops.tracking.datasets import link_file_read, log_dataset


def test_log_dataset_counts_what_the_run_captured(store: Store) -> None:
    with mlops.start_run(store=store, experiment="t") as run:
        train = pd.DataFrame({"x": [1, 2, 3]})
        version = log_dataset(run, train, "train", role="training")
        assert log_dataset(run, train.copy(), "train", role="training") == version
        assert run.log_dataset(pd.DataFrame({"y": [1]}), "other").ref == "other@1"
        assert run.captured.datasets == 3
    assert (version.ref, version.run_id) == ("train@1", run.id)


def test_ended_runs_refuse_datasets(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text("x\n1\n")
    Datasets(store).add(path)
    run = mlops.start_run(store=store, experiment="t")
    with pytest.raises(MlopsUsageError) as info:
        log_dataset(run, pd.DataFrame({"x": [1]}), "x", role="train")
    assert str(info.value).startswith("Unknown dataset role 'train': use one of training,")
    assert [v.ref for v in link_file_read(run, path, hash_file(path))] == ["train@1"]
    run.end()
    message = f"Run {run.label} has ended; start a new run to log datasets."
    with pytest.raises(MlopsUsageError) as info:
        log_dataset(run, pd.DataFrame({"x": [1]}), "x")
    assert str(info.value) == message
    with pytest.raises(MlopsUsageError) as info:
        link_file_read(run, path, hash_file(path))
    assert str(info.value) == message
