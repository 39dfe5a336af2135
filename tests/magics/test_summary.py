"""The one-line run summary (jupyter_mlops.tracking.summary)."""

from __future__ import annotations

import pytest

from jupyter_mlops.tracking.summary import RunSummary, error_line, format_seconds

FULL = RunSummary(
    name="brisk-otter-42",
    short_id="a1b2c3d4",
    status="finished",
    duration=0.414,
    params=6,
    metrics=2,
    models=1,
    datasets=2,
    figures=1,
)


@pytest.mark.parametrize(
    ("summary", "text"),
    [
        (
            FULL,
            "✓ run brisk-otter-42 (a1b2c3d4) · 6 params · 2 metrics · 1 model · 2 datasets"
            " · 1 figure · 0.41 s",
        ),
        (
            RunSummary("r", "12345678", "finished", 12.34, params=1, artifacts=3, cells=1),
            "✓ run r (12345678) · 1 cell · 1 param · 3 artifacts · 12.3 s",
        ),
        (
            RunSummary("r", "12345678", "running", 125.0, cells=4),
            "✓ run r (12345678) · 4 cells · 2 min 5 s",
        ),
        (
            RunSummary(
                "r", "12345678", "failed", 0.01, metrics=1, error="ZeroDivisionError: division"
            ),
            "✗ run r (12345678) failed · 1 metric · 0.01 s · ZeroDivisionError: division",
        ),
        (
            RunSummary("r", "12345678", "killed", 3.0, error="KeyboardInterrupt"),
            "✗ run r (12345678) killed · 3.00 s · KeyboardInterrupt",
        ),
    ],
)
def test_text(summary: RunSummary, text: str) -> None:
    assert str(summary) == text
    assert repr(summary) == text


def test_html_escapes_and_marks_failure() -> None:
    html = RunSummary("<b>", "12345678", "failed", 1.0, error="ValueError: <x>")._repr_html_()
    assert "&lt;b&gt;" in html and "ValueError: &lt;x&gt;" in html
    assert "✗" in html and "failed" in html
    assert "<b>" not in html.replace("<b>&lt;b&gt;</b>", "").replace("<b style", "")
    ok = FULL._repr_html_()
    assert ok.startswith("<div class='mlops-summary'")
    assert "✓" in ok and "6 params" in ok and "0.41 s" in ok


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (None, None),
        ("", None),
        ("  \n", None),
        ("Traceback (most recent call last):\n  ...\nKeyError: 'x'\n", "KeyError: 'x'"),
        ("E: " + "x" * 300, "E: " + "x" * 196 + "…"),
    ],
)
def test_error_line(error: str | None, line: str | None) -> None:
    assert error_line(error) == line


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0.00 s"),
        (0.414, "0.41 s"),
        (9.994, "9.99 s"),
        (10, "10.0 s"),
        (59.9, "59.9 s"),
        (60, "1 min 0 s"),
        (3725, "62 min 5 s"),
    ],
)
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


def test_of_reads_the_runs_counters(store_dir) -> None:
    import jupyter_mlops as mlops

    with mlops.start_run("counted") as run:
        run.log_params({"a": 1, "b": 2})
        run.log_param("a", 3)
        run.log_metric("m", 1.0)
        run.log_metric("m", 2.0)
        run.log_artifact(b"x", "x.bin")
    summary = RunSummary.of(run, duration=0.5, error="Traceback\nValueError: v")
    assert (summary.params, summary.metrics, summary.artifacts) == (2, 1, 1)
    assert (summary.status, summary.error) == ("finished", "ValueError: v")
    assert summary.name == "counted" and summary.short_id == run.short_id
