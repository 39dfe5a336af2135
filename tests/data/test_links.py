"""Runs linked to dataset versions by run id: a version added for a run, files a run read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from jupyter_mlops.data.links import add_for_run, link_file_read, link_run
from jupyter_mlops.data.service import Datasets
from jupyter_mlops.data.state import hash_file
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.store import Store
from jupyter_mlops.store import tables as t
from jupyter_mlops.tracking.fluent import start_run
from jupyter_mlops.tracking.run import Run


@pytest.fixture
def run(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    with start_run("train", experiment="churn", store=store) as active:
        yield active


def links(store: Store) -> list[tuple[str, str, int, str, str]]:
    """(run id, dataset name, version, role, direction) for every link."""
    rdl, dv, ds = t.run_dataset_links, t.dataset_versions, t.datasets
    stmt = (
        select(rdl.c.run_id, ds.c.name, dv.c.version, rdl.c.role, rdl.c.direction)
        .join(dv, dv.c.id == rdl.c.version_id)
        .join(ds, ds.c.id == dv.c.dataset_id)
        .order_by(ds.c.name, rdl.c.role)
    )
    with store.read() as conn:
        return [tuple(row) for row in conn.execute(stmt)]  # type: ignore[misc]


def test_add_for_run_links_run(run: Run, store: Store, work: Path) -> None:
    train = pd.DataFrame({"x": [1, 2, 3], "y": [0, 1, 0]})
    version = add_for_run(store, run.id, train, "train", role="training")
    path = work / "scores.csv"
    path.write_text("id,score\n1,0.5\n")
    product = add_for_run(store, run.id, path, role="product")
    assert (version.ref, version.run_id) == ("train@1", run.id)
    assert product.name == "scores"
    assert links(store) == [
        (run.id, "scores", 1, "product", "output"),
        (run.id, "train", 1, "training", "input"),
    ]
    # adding the same content again links the existing version, no duplicate rows
    assert add_for_run(store, run.id, train.copy(), "train", role="training") == version
    assert len(links(store)) == 2


def test_add_for_run_refuses_unknown_roles(run: Run, store: Store) -> None:
    with pytest.raises(MlopsUsageError) as info:
        add_for_run(store, run.id, pd.DataFrame({"x": [1]}), "x", role="train")
    assert str(info.value).startswith("Unknown dataset role 'train': use one of training,")
    with pytest.raises(MlopsUsageError, match="Unknown dataset role 'train'"):
        link_run(store, run.id, 1, "train")


def test_link_run_records_the_direction_of_the_role(
    run: Run, store: Store, datasets: Datasets
) -> None:
    version = datasets.add(pd.DataFrame({"x": [1]}), "frame")
    link_run(store, run.id, version.id, "evaluation")
    link_run(store, run.id, version.id, "product")
    assert links(store) == [
        (run.id, "frame", 1, "evaluation", "input"),
        (run.id, "frame", 1, "product", "output"),
    ]


def test_link_file_read(run: Run, store: Store, datasets: Datasets, work: Path) -> None:
    path = work / "train.csv"
    path.write_text("x\n1\n")
    datasets.add(path)
    datasets.add(path, "train-copy")
    folder = work / "bundle"
    folder.mkdir()
    (folder / "train.csv").write_text("x\n1\n")
    (folder / "other.csv").write_text("x\n2\n")
    datasets.add(folder)

    linked = link_file_read(store, run.id, path, hash_file(path), "training")
    assert [v.ref for v in linked] == ["bundle@1", "train@1", "train-copy@1"]
    assert links(store) == [
        (run.id, "bundle", 1, "training", "input"),
        (run.id, "train", 1, "training", "input"),
        (run.id, "train-copy", 1, "training", "input"),
    ]


def test_link_file_read_folder_and_newest(
    run: Run, store: Store, datasets: Datasets, work: Path
) -> None:
    folder = work / "bundle"
    folder.mkdir()
    (folder / "a.csv").write_text("x\n1\n")
    datasets.add(folder)
    # the capture code digests folders its own way: the folder's manifest still matches
    assert [v.ref for v in link_file_read(store, run.id, folder, "f" * 64)] == ["bundle@1"]
    unknown = work / "unknown.csv"
    unknown.write_text("nothing like it")
    assert link_file_read(store, run.id, unknown, hash_file(unknown)) == []
