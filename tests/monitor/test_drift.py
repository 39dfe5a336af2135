"""drift(): verdicts, options, the data set rule, and logging into a run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import jupyter_mlops
from jupyter_mlops.monitor import drift


def frame(n, seed, shift=0.0, cats="abc", p=None):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "num": rng.normal(shift, 1.0, n),
            "small": rng.integers(0, 4, n).astype(float),
            "cat": rng.choice(list(cats), n, p=p),
        }
    )


@pytest.mark.parametrize("n", [300, 5000])
def test_identical_distributions_are_not_flagged(n):
    report = drift(frame(n, 1), frame(n, 5), log=False)

    assert report.drifted_columns == []
    assert not report.dataset_drift


@pytest.mark.parametrize("n", [300, 5000])
def test_known_drift_is_detected(n):
    report = drift(
        frame(n, 1), frame(n, 5, shift=1.0, cats="abcd", p=[0.1, 0.1, 0.1, 0.7]), log=False
    )

    assert report.drifted_columns == ["num", "cat"]
    assert report.share == pytest.approx(2 / 3)
    assert report.dataset_drift


@pytest.mark.parametrize(
    ("drift_share", "expected"), [(0.5, True), (2 / 3, True), (0.67, False), (1.0, False)]
)
def test_dataset_drifts_when_share_reaches_drift_share(drift_share, expected):
    cur = frame(300, 5, shift=1.0, cats="abcd", p=[0.1, 0.1, 0.1, 0.7])

    report = drift(frame(300, 1), cur, drift_share=drift_share, log=False)

    assert report.dataset_drift is expected


def test_columns_tests_thresholds_and_types_per_column():
    ref, cur = frame(400, 1), frame(400, 2, shift=0.3)

    report = drift(
        ref,
        cur,
        columns=["num", "small"],
        column_types={"small": "numerical"},
        tests={"num": "psi"},
        threshold={"num": 0.5},
        log=False,
    )

    assert report.columns == ["num", "small"]
    assert (report["num"].test, report["num"].threshold) == ("psi", 0.5)
    assert (report["small"].kind, report["small"].test) == ("num", "chisquare")


def test_global_test_skips_columns_it_does_not_apply_to():
    report = drift(frame(300, 1), frame(300, 2), tests="ks", log=False)

    assert report["num"].test == "ks"
    assert report["cat"].drifted is None
    assert report["cat"].reason == "ks applies to num columns; this one is cat"
    assert report.tested_columns == ["num", "small"]


def test_global_threshold_overrides_defaults():
    ref, cur = frame(5000, 1), frame(5000, 2, shift=0.05)

    loose = drift(ref, cur, threshold=0.5, log=False)
    tight = drift(ref, cur, threshold=0.01, log=False)

    assert loose["num"].drifted is False
    assert tight["num"].drifted is True


def test_strict_policy_adds_a_missing_share_row_per_column():
    ref = frame(500, 1)
    cur = frame(500, 2)
    cur.loc[:200, "num"] = np.nan

    report = drift(ref, cur, policy="strict", log=False)

    rows = report.to_frame()
    assert list(rows.test) == ["ks", "missing_share", "chisquare", "missing_share"] * 1 + [
        "chisquare",
        "missing_share",
    ]
    missing = rows[(rows.column == "num") & (rows.test == "missing_share")].iloc[0]
    assert bool(missing.drifted) is True
    assert report["num"].test == "ks"
    assert "num" in report.drifted_columns


def test_strict_policy_tolerates_reference_noise_that_standard_flags():
    flagged = {"standard": 0, "strict": 0}
    for seed in range(40):
        rng = np.random.default_rng(seed)
        cats = list("abcdefghij")
        ref = pd.DataFrame({"c": rng.choice(cats, 200)})
        cur = pd.DataFrame({"c": rng.choice(cats, 200)})
        for policy in flagged:
            flagged[policy] += bool(drift(ref, cur, policy=policy, log=False).drifted_columns)

    assert flagged["strict"] < flagged["standard"]


def test_nan_and_inf_count_as_missing():
    ref = pd.DataFrame({"x": [1.0, 2.0, np.inf, np.nan, 3.0, -np.inf, 4.0, 5.0, 6.0, 7.0]})

    report = drift(ref, ref.copy(), log=False)

    assert (report["x"].n_reference, report["x"].missing_reference) == (7, 0.3)


def test_logs_metrics_and_html_into_the_active_run(store_dir):
    with jupyter_mlops.start_run("drift") as run:
        report = drift(frame(300, 1), frame(300, 5, shift=1.0))

    record = jupyter_mlops.get_run(run.id)
    assert record.metrics["drift.share"] == pytest.approx(report.share)
    assert record.metrics["drift.dataset_drift"] == 0.0  # 1 of 3 columns
    assert record.metrics["drift.num.score"] == pytest.approx(report["num"].score)
    assert {"drift.small.score", "drift.cat.score"} <= set(record.metrics)
    artifact = next(a for a in record.artifacts if a.path == "drift/report.html")
    assert artifact.kind == "report"


def test_without_a_run_nothing_is_logged(store_dir):
    report = drift(frame(50, 1), frame(50, 2))

    assert jupyter_mlops.search_runs().empty
    assert report.tested_columns == ["num", "small", "cat"]


def test_single_worker_gives_the_same_report():
    ref, cur = frame(2000, 1), frame(2000, 2, shift=0.2)

    assert drift(ref, cur, workers=1, log=False).to_dict() == drift(ref, cur, log=False).to_dict()
