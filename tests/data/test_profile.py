"""Column profiles checked against pandas, whole and in chunks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_mlops.data.profile import profile_csv, profile_frame, profile_parquet
from jupyter_mlops.data.service import Datasets
from jupyter_mlops.data.state import StateCache
from jupyter_mlops.store import Store


def expected_profile(df: pd.DataFrame) -> dict[str, dict[str, object]]:
    """The profile computed the plain pandas way."""
    out: dict[str, dict[str, object]] = {}
    for col in df.columns:
        s = df[col]
        entry: dict[str, object] = {"type": str(s.dtype), "missing": float(s.isna().mean())}
        values = s.dropna()
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            entry |= {
                "min": values.min().item(),
                "max": values.max().item(),
                "mean": float(values.mean()),
                "std": float(values.std()),
            }
        else:
            counts = values.value_counts()
            entry["distinct"] = int(counts.size)
            entry["top_counts"] = sorted(counts.tolist(), reverse=True)[:5]
        out[str(col)] = entry
    return out


def check(profile: dict[str, dict[str, object]], df: pd.DataFrame) -> None:
    expected = expected_profile(df)
    assert list(profile) == list(expected)
    for col, want in expected.items():
        got = dict(profile[col])
        if "top_counts" in want:
            assert sorted((c for _, c in got.pop("top")), reverse=True) == want.pop("top_counts")  # type: ignore[attr-defined]
        assert got.keys() == want.keys(), col
        for key, value in want.items():
            if isinstance(value, float):
                assert got[key] == pytest.approx(value, rel=1e-9), (col, key)
            else:
                assert got[key] == value, (col, key)


def test_frame_profile_matches_pandas(frame: pd.DataFrame) -> None:
    info = profile_frame(frame)
    assert info.row_count == len(frame)
    check(info.profile, frame)
    assert info.profile["plan"]["top"][0] == [
        frame["plan"].value_counts().index[0],
        int(frame["plan"].value_counts().iloc[0]),
    ]


def test_csv_profile_matches_pandas(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    info = profile_csv(path)
    loaded = pd.read_csv(path)
    check(info.profile, loaded)
    assert info.schema == [{"name": c, "type": str(t)} for c, t in loaded.dtypes.items()]


def test_csv_in_chunks_equals_whole(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n = 5000
    df = pd.DataFrame(
        {
            "i": rng.integers(-100, 100, n),
            "f": rng.normal(size=n),
            "s": rng.choice(list("abcdefg"), n),
        }
    )
    df.loc[4000:, "i"] = np.nan  # an int column that turns float in later chunks
    df.loc[:1500, "s"] = None  # a text column empty for a whole chunk
    path = tmp_path / "big.csv"
    df.to_csv(path, index=False)
    whole = profile_csv(path)
    chunked = profile_csv(path, chunk_bytes=1, chunk_rows=700)
    assert chunked.schema == whole.schema
    assert chunked.row_count == whole.row_count == n
    for col, stats in whole.profile.items():
        for key, value in stats.items():
            if isinstance(value, float):
                assert chunked.profile[col][key] == pytest.approx(value, rel=1e-9), (col, key)
            else:
                assert chunked.profile[col][key] == value, (col, key)


def test_parquet_profile_and_metadata(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    frame.to_parquet(path, row_group_size=64)
    info = profile_parquet(path, batch_rows=50)
    assert info.row_count == len(frame)
    check(info.profile, pd.read_parquet(path))


def test_datetime_profile() -> None:
    df = pd.DataFrame({"t": pd.to_datetime(["2024-01-02", None, "2023-05-06"])})
    assert profile_frame(df).profile["t"] == {
        "type": "datetime64[us]",
        "missing": pytest.approx(1 / 3),
        "min": "2023-05-06T00:00:00",
        "max": "2024-01-02T00:00:00",
    }


def test_big_csv_added_in_chunks(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    pd.DataFrame({"x": range(1000)}).to_csv(path, index=False)
    service = Datasets(store, state=StateCache(store), csv_chunk_bytes=100)
    version = service.add(path)
    assert version.row_count == 1000
    assert version.profile == {
        "x": {"type": "int64", "missing": 0.0, "min": 0, "max": 999, "mean": 499.5,
              "std": pytest.approx(pd.Series(range(1000)).std())},
    }  # fmt: skip
