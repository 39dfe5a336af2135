"""Batch scoring (``jupyter-mlops predict``'s engine): chunks, types and bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.models import load_predictor
from jupyter_mlops.serving.batch import score_file
from jupyter_mlops.store import Store

Iris = tuple[pd.DataFrame, pd.Series]


def test_small_row_groups_are_scored_together_and_a_large_one_in_chunks(
    store: Store, register: Callable[..., int], iris: Iris, tmp_path: Path
) -> None:
    register()
    predictor = load_predictor("models:/iris@production", store=store)
    X = iris[0]
    expected = list(predictor.predict(X))
    X.to_parquet(tmp_path / "small.parquet", row_group_size=30)  # 5 groups of 30 rows
    scored = score_file(
        predictor, tmp_path / "small.parquet", tmp_path / "out.parquet", chunk_rows=100
    )
    assert (scored.rows, scored.chunks) == (150, 2)  # 90 rows (3 groups), then 60
    out = pd.read_parquet(tmp_path / "out.parquet")
    pd.testing.assert_frame_equal(out[list(X.columns)], X.reset_index(drop=True))
    assert list(out["prediction"]) == expected

    X.to_parquet(tmp_path / "one.parquet")  # one group of 150 rows
    scored = score_file(
        predictor, tmp_path / "one.parquet", tmp_path / "out.parquet", chunk_rows=64
    )
    assert (scored.rows, scored.chunks) == (150, 3)
    assert list(pd.read_parquet(tmp_path / "out.parquet")["prediction"]) == expected


def test_csv_chunks_of_other_inferred_types_keep_the_first_chunks_types(
    store: Store, register: Callable[..., int], iris: Iris, tmp_path: Path
) -> None:
    register()
    predictor = load_predictor("models:/iris@production", store=store)
    X = iris[0].copy()
    X["batch"] = [1.5] * 50 + [2] * 100  # the later chunks read as whole numbers
    X.to_csv(tmp_path / "in.csv", index=False)
    scored = score_file(predictor, tmp_path / "in.csv", tmp_path / "out.parquet", chunk_rows=50)
    assert scored.chunks == 3
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert out["batch"].dtype == np.float64 and list(out["batch"][48:52]) == [1.5, 1.5, 2, 2]

    X["batch"] = [2] * 50 + ["x"] * 100  # text after numbers: the output cannot hold both
    X.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(MlopsUsageError, match="Rows 51-100 do not have the types"):
        score_file(predictor, tmp_path / "bad.csv", tmp_path / "bad.parquet", chunk_rows=50)
    assert not (tmp_path / "bad.parquet").exists()


MEASURE = textwrap.dedent(
    """
    import json, sys, tracemalloc
    from pathlib import Path
    import numpy as np, pandas as pd, pyarrow as pa
    from sklearn.linear_model import LogisticRegression
    from jupyter_mlops.models import Predictor
    from jupyter_mlops.serving.batch import score_file

    rows, chunk, tmp = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    names = [f"f{i}" for i in range(8)]
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(rows, 8)), columns=names)
    model = LogisticRegression().fit(frame[:2000], frame["f0"][:2000] > 0)
    frame.to_parquet(tmp / "in.parquet", row_group_size=chunk)
    frame[:100].to_parquet(tmp / "warm.parquet")
    del frame
    signature = {"type": "dataframe", "columns": [{"name": n, "dtype": "float64"} for n in names]}
    predictor = Predictor("m", 1, "", "sklearn", "skops", signature, model)
    score_file(predictor, tmp / "warm.parquet", tmp / "out.parquet", chunk_rows=chunk)
    pool = pa.proxy_memory_pool(pa.default_memory_pool())
    pa.set_memory_pool(pool)
    tracemalloc.start()
    score_file(predictor, tmp / "in.parquet", tmp / "out.parquet", chunk_rows=chunk)
    peak = tracemalloc.get_traced_memory()[1] + pool.max_memory()
    print(json.dumps({"peak": peak, "chunk": chunk * 9 * 8}), flush=True)
    # A proxy pool outliving the objects it allocated crashes at interpreter exit.
    import os; os._exit(0)
    """
)


def test_scoring_a_large_file_holds_less_than_two_chunks(tmp_path: Path) -> None:
    # 8 float columns plus the prediction: a chunk is 72 bytes a row. The peak counts
    # NumPy's buffers (traced) and Arrow's pool, each at its own highest.
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, "400000", "50000", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout)
    assert figures["peak"] < 2 * figures["chunk"], figures
