"""Bad input: a usage error before any work, or a "not tested" row with the reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.monitor import drift, profile

REF = pd.DataFrame(
    {
        "x": np.linspace(0, 1, 50),
        "c": list("ab") * 25,
        "when": pd.date_range("2024-01-01", periods=50),
    }
)

USAGE_ERRORS = [
    (
        "empty current",
        REF,
        REF.iloc[:0],
        {},
        "The current DataFrame is empty; give at least one row and column.",
    ),
    (
        "empty reference",
        REF.iloc[:0],
        REF,
        {},
        "The reference DataFrame is empty; give at least one row and column.",
    ),
    ("not a frame", REF, [1, 2], {}, "The current data must be a pandas DataFrame, not list."),
    ("unknown column", REF, REF, {"columns": ["y"]}, "Columns not in the reference data: y."),
    (
        "unknown test",
        REF,
        REF,
        {"tests": {"x": "kolmogorov"}},
        "Unknown drift test 'kolmogorov'; valid tests: anderson, chisquare, cramer_von_mises, "
        "energy_distance, hellinger, jensenshannon, kl_div, ks, psi, tvd, wasserstein, z.",
    ),
    (
        "test for unknown column",
        REF,
        REF,
        {"tests": {"y": "ks"}},
        "tests names columns that are not checked: y.",
    ),
    (
        "bad policy",
        REF,
        REF,
        {"policy": "lenient"},
        "Unknown policy 'lenient'; valid policies: standard, strict.",
    ),
    ("bad drift_share", REF, REF, {"drift_share": 0}, "drift_share must be in (0, 1], not 0."),
    (
        "bad type",
        REF,
        REF,
        {"column_types": {"x": "text"}},
        "Column type 'text' for 'x' is not one of: numerical, categorical.",
    ),
    (
        "bad threshold",
        REF,
        REF,
        {"threshold": "low"},
        "threshold must be a number or a dict, not 'low'.",
    ),
]


@pytest.mark.parametrize(
    ("ref", "cur", "kwargs", "message"),
    [c[1:] for c in USAGE_ERRORS],
    ids=[c[0] for c in USAGE_ERRORS],
)
def test_usage_errors(ref, cur, kwargs, message):
    with pytest.raises(MlopsUsageError) as err:
        drift(ref, cur, log=False, **kwargs)

    assert str(err.value) == message


def _cur(**changes):
    cur = REF.copy()
    for name, value in changes.items():
        if value is None:
            cur = cur.drop(columns=[name])
        else:
            cur[name] = value
    return cur


NOT_TESTED = [
    ("missing column", REF, _cur(c=None), "c", "missing from the current data"),
    ("all missing current", REF, _cur(x=np.nan), "x", "all values are missing in the current data"),
    (
        "all missing reference",
        _cur(x=np.nan),
        REF,
        "x",
        "all values are missing in the reference data",
    ),
    (
        "all missing categorical",
        REF,
        _cur(c=None).assign(c=None),
        "c",
        "all values are missing in the current data",
    ),
    (
        "mismatched dtypes",
        REF,
        _cur(x=["1.5"] * 50),
        "x",
        "mismatched dtypes: numerical in the reference, str in current",
    ),
    (
        "datetime",
        REF,
        REF,
        "when",
        "datetime64[us] columns are not tested; convert them to numbers first",
    ),
]


@pytest.mark.parametrize(
    ("ref", "cur", "column", "reason"), [c[1:] for c in NOT_TESTED], ids=[c[0] for c in NOT_TESTED]
)
def test_not_tested_with_reason(ref, cur, column, reason):
    report = drift(ref, cur, log=False)

    row = report[column]
    assert (row.drifted, row.reason) == (None, reason)
    others = [c for c in report.tested_columns if c != column]
    assert others  # the rest of the report is still computed


def test_not_tested_from_a_profile_too():
    report = drift(profile(REF), _cur(c=None), log=False)

    assert report["c"].reason == "missing from the current data"
    assert report["when"].reason.startswith("datetime64")


def test_constant_columns_are_tested_without_warnings():
    ref = pd.DataFrame({"k": np.ones(2000), "s": ["z"] * 2000})

    same = drift(ref, ref.copy(), log=False)
    moved = drift(ref, ref + 1 if False else ref.assign(k=2.0), log=False)

    assert same.tested_columns == ["k", "s"] and not same.drifted_columns
    assert moved.drifted_columns == ["k"]


def test_categorical_ints_and_floats_with_nan_agree():
    ref = pd.DataFrame({"k": np.arange(300) % 3})
    cur = pd.DataFrame({"k": np.r_[np.arange(299) % 3, [np.nan]]})

    report = drift(ref, cur, log=False)

    assert (report["k"].kind, report["k"].drifted) == ("cat", False)


def test_nothing_tested_is_no_dataset_drift():
    report = drift(REF[["when"]], REF[["when"]], log=False)

    assert (report.share, report.dataset_drift) == (0.0, False)
