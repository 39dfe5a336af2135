"""The drift report's faces: frame, dict/JSON, self-contained HTML, notebook display."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from jupyter_mlops.monitor import drift


@pytest.fixture
def report():
    rng = np.random.default_rng(3)
    ref = pd.DataFrame(
        {"x": rng.normal(0, 1, 400), "c": rng.choice(list("ab"), 400), "gone": np.ones(400)}
    )
    cur = pd.DataFrame({"x": rng.normal(1, 1, 300), "c": rng.choice(list("abc"), 300)})
    return drift(ref, cur, log=False)


def test_to_frame_has_one_row_per_column_and_test(report):
    frame = report.to_frame()

    assert list(frame.columns) == [
        "column", "kind", "test", "statistic", "p_value", "score", "threshold", "drifted",
        "reason", "n_reference", "n_current", "missing_reference", "missing_current",
    ]  # fmt: skip
    assert list(frame.column) == ["x", "c", "gone"]
    assert frame.set_index("column").loc["gone", "reason"] == "missing from the current data"


def test_to_json_is_valid_json_with_infinities_as_strings(report):
    doc = json.loads(report.to_json())

    assert doc["dataset_drift"] is True
    assert doc["drifted_columns"] == ["x", "c"]
    c = next(col for col in doc["columns"] if col["column"] == "c")
    assert (c["test"], c["statistic"], c["p_value"]) == ("chisquare", "inf", 0.0)


def test_html_is_self_contained_with_one_chart_per_tested_column(report):
    page = report.to_html()

    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert "http://" not in page and "https://" not in page
    assert page.count("<svg") == 2
    assert "not tested: missing from the current data" in page


def test_notebook_display_is_an_html_fragment(report):
    fragment = report._repr_html_()

    assert "<html" not in fragment
    assert "Drift detected" in fragment
    assert repr(report) == "<DriftReport drift: 2/2 columns drifted, policy=standard>"


def test_html_escapes_column_names_and_categories():
    ref = pd.DataFrame({"<b>": ["<script>x</script>", "a"] * 10})

    page = drift(ref, ref.copy(), log=False).to_html()

    assert "<script>" not in page and "&lt;script&gt;" in page


def test_metrics_skip_untested_and_infinite_scores(report):
    assert report.metrics() == {
        "drift.share": 1.0,
        "drift.dataset_drift": 1.0,
        "drift.x.score": report["x"].score,
        "drift.c.score": 0.0,
    }
