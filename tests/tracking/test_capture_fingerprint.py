"""Fingerprints of training and evaluation data, and the text of captured param values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, make_scorer

from jupyter_mlops.tracking.capture.fingerprint import fingerprint
from jupyter_mlops.tracking.capture.values import param_text


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": np.arange(5, dtype="float64"),
            "n": np.arange(5),
            "s": list("abcde"),
            "c": pd.Categorical(list("aabbc")),
            "t": pd.date_range("2024-01-01", periods=5),
        }
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: np.arange(12.0).reshape(3, 4),
        lambda: np.arange(12.0).reshape(3, 4).T,  # not contiguous
        lambda: np.array(["a", "bb"]),
        lambda: np.array([{"a": 1}, None], dtype=object),
        lambda: np.arange(3).astype("datetime64[D]"),
        frame,
        lambda: frame()["s"],
        lambda: pd.Series([1, None], dtype="Int64"),
        lambda: sp.random(5, 4, density=0.5, random_state=0, format="csc"),
        lambda: [[1, 2], [3, 4]],
        lambda: ["a short text", "a much longer text " * 1000],
    ],
)
def test_fingerprints_are_stable_for_equal_values(make) -> None:
    first, second = fingerprint(make()), fingerprint(make())
    assert first is not None and first == second
    assert len(first.digest) == 64


def test_fingerprints_change_with_values_names_dtypes_and_shape() -> None:
    base = fingerprint(frame()).digest
    changed = frame()
    changed.loc[2, "s"] = "z"
    renamed = frame().rename(columns={"x": "y"})
    retyped = frame().astype({"n": "int32"})
    digests = {base, *(fingerprint(f).digest for f in (changed, renamed, retyped, frame()[:4]))}
    assert len(digests) == 5
    a = np.zeros((2, 6))
    assert fingerprint(a).digest != fingerprint(a.reshape(3, 4)).digest


def test_texts_are_hashed_as_objects_not_copied_to_fixed_width() -> None:
    fp = fingerprint(["a", "b" * 10_000])
    assert fp is not None and fp.info["dtype"] == "object"
    assert fp.size == 16  # one 8-byte hash per text


def test_a_frame_ignores_its_index_and_reports_shape_and_columns() -> None:
    fp = fingerprint(frame())
    assert fp.digest == fingerprint(frame().set_axis(range(10, 15))).digest
    assert (fp.kind, fp.info["shape"], fp.info["columns"]) == ("frame", [5, 5], list("xnsct"))
    assert fingerprint(np.ones((2, 3))).info == {"shape": [2, 3], "dtype": "float64"}


@pytest.mark.parametrize("value", [None, 3, "X", iter([1, 2]), object()])
def test_values_that_are_not_data_have_no_fingerprint(value) -> None:
    assert fingerprint(value) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.5, "0.5"),
        (None, "None"),
        (True, "True"),
        (np.float64(0.25), "0.25"),
        (np.int64(3), "3"),
        ("lbfgs", "lbfgs"),
        (float("nan"), "nan"),
        ([0.1, 1], "[0.1, 1]"),
        ({"b": 1, "a": (1, 2)}, '{"a": [1, 2], "b": 1}'),
        ({3, 1, 2}, "[1, 2, 3]"),
        (np.array([1.0, 2.0]), "[1.0, 2.0]"),
        (np.zeros(1000), "array(shape=(1000,), dtype=float64)"),
        (LogisticRegression(C=2.0), "LogisticRegression"),
        ([("clf", LogisticRegression())], '[["clf", "LogisticRegression"]]'),
        (LogisticRegression, "LogisticRegression"),
        (np.log1p, "log1p"),
        (make_scorer(f1_score), "make_scorer(f1_score, response_method='predict')"),
        ("x" * 2000, "x" * 999 + "…"),
    ],
)
def test_param_text(value, text: str) -> None:
    assert param_text(value) == text
