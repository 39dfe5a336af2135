"""``jupyter-mlops predict --executor dask://HOST:PORT`` on a real Dask cluster."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import distributed
import numpy as np
import pandas as pd
import pytest

import jupyter_mlops as mlops
from jupyter_mlops.store import Store, current_store

Iris = tuple[pd.DataFrame, pd.Series]


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """Two workers (threads of this process) and a scheduler on 127.0.0.1."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",  # an address a client can dial, as a remote cluster has
        host="127.0.0.1",
        dashboard_address=":0",  # a free port: 8787 may be taken
    ) as local:
        yield str(local.scheduler_address).removeprefix("tcp://")


@pytest.fixture
def project(store_dir: Path, iris: Iris) -> Store:
    store = current_store()
    X, y = iris
    from sklearn.linear_model import LogisticRegression

    with mlops.start_run(store=store) as run:
        run.log_model(LogisticRegression(max_iter=500).fit(X, y), "model", input_example=X[:3])
    mlops.models.register(run.id, "iris", store=store)
    mlops.models.promote("iris", 1, to="production", checks=["version >= 1"], store=store)
    return store


def _data(iris: Iris, tmp_path: Path) -> Path:
    """A dataset of two files (the second with a row group of its own) of 600 rows."""
    rng = np.random.default_rng(0)
    X = iris[0]
    rows = X.sample(600, replace=True, random_state=0).reset_index(drop=True)
    rows += rng.normal(scale=0.1, size=rows.shape)
    source = tmp_path / "events"
    source.mkdir()
    rows[:400].to_parquet(source / "a.parquet", row_group_size=50)
    rows[400:].to_parquet(source / "b.parquet", row_group_size=200)
    return source


def test_scoring_on_the_cluster_matches_scoring_here(
    project: Store, cli: Callable[..., Any], iris: Iris, tmp_path: Path, cluster: str
) -> None:
    source = _data(iris, tmp_path)
    here = cli("predict", "models:/iris@production", "-i", str(source / "a.parquet"), "-o",
               str(tmp_path / "a-here.parquet"))  # fmt: skip
    assert here.code == 0, here.err
    result = cli(
        "predict", "models:/iris@production", "-i", str(source), "-o", str(tmp_path / "scored"),
        "--chunk-rows", "120", "--executor", f"dask://{cluster}", "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    info = json.loads(result.out)
    # a.parquet: 8 groups of 50 in runs of 100 (4 parts); b.parquet: one group of 200.
    assert (info["rows"], info["chunks"], info["executor"]) == (600, 5, f"dask://{cluster}")
    files = sorted(p.name for p in (tmp_path / "scored").iterdir())
    assert files == [f"part-{i:05d}.parquet" for i in range(5)]
    scored = pd.read_parquet(tmp_path / "scored")
    every = pd.concat([pd.read_parquet(source / n) for n in ("a.parquet", "b.parquet")])
    pd.testing.assert_frame_equal(
        scored[list(every.columns)], every.reset_index(drop=True), check_index_type=False
    )
    local = pd.read_parquet(tmp_path / "a-here.parquet")
    assert list(scored["prediction"][:400]) == list(local["prediction"])
    model = mlops.models.load("models:/iris@production", store=project)
    assert list(scored["prediction"]) == list(model.predict(every))

    # Again into the same directory: replaced whole, no leftovers beside it.
    again = cli("predict", "models:/iris@production", "-i", str(source / "b.parquet"), "-o",
                str(tmp_path / "scored"), "--executor", f"dask://{cluster}")  # fmt: skip
    assert again.code == 0, again.err
    assert "scored 200 rows" in again.out and f"1 parts on dask://{cluster}" in again.out
    assert sorted(p.name for p in (tmp_path / "scored").iterdir()) == ["part-00000.parquet"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".scored")]


def test_rows_that_do_not_fit_fail_on_the_worker_and_write_nothing(
    project: Store, cli: Callable[..., Any], iris: Iris, tmp_path: Path, cluster: str
) -> None:
    source = _data(iris, tmp_path)
    pd.read_parquet(source / "b.parquet").drop(columns=["petal width (cm)"]).to_parquet(
        source / "b.parquet"
    )
    result = cli("predict", "models:/iris@production", "-i", str(source), "-o",
                 str(tmp_path / "scored"), "--executor", f"dask://{cluster}")  # fmt: skip
    assert result.code == 2
    assert "every file of the dataset needs the same schema" in result.err
    (source / "a.parquet").unlink()
    result = cli("predict", "models:/iris@production", "-i", str(source), "-o",
                 str(tmp_path / "scored"), "--executor", f"dask://{cluster}")  # fmt: skip
    assert result.code == 2
    assert "Rows 1-200: Missing column 'petal width (cm)'" in result.err
    assert not (tmp_path / "scored").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".mlops", "events"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--executor", "spark://x:1"], "Unknown executor 'spark://x:1'"),
        (["--executor", "dask://nohost"], "Bad executor 'dask://nohost'"),
        (["--executor", "dask://127.0.0.1:1", "-o", "out.csv"], "Cannot write out.csv on Dask"),
    ],
)
def test_executor_mistakes_are_one_line(
    project: Store, cli: Callable[..., Any], iris: Iris, tmp_path: Path, args: list[str],
    message: str,
) -> None:  # fmt: skip
    iris[0].to_parquet(tmp_path / "in.parquet")
    result = cli("predict", "models:/iris@production", "-i", str(tmp_path / "in.parquet"),
                 "-o", str(tmp_path / "out"), *args)  # fmt: skip
    assert result.code == 2
    assert message in result.err and result.err.count("\n") == 1
