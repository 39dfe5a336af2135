"""A monitor's decision: by its threshold when it has one, else by the drift report's verdict;
recorded by act() and read back by the history, never judged twice."""

from __future__ import annotations

from pathlib import Path

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.monitor.act import act
from jupyter_mlops.monitor.decision import decide, recorded, verdict
from jupyter_mlops.monitor.history import history


@pytest.mark.parametrize(
    ("dataset_drift", "share", "threshold", "expected"),
    [
        (False, 0.4, 0.3, True),  # over the threshold: drift, whatever the report says
        (True, 0.2, 0.3, False),  # under it: no drift
        (True, 0.3, 0.3, True),  # reaching it is enough
        (True, None, 0.3, None),  # a threshold but no share: cannot say
        (True, 0.1, None, True),  # no threshold: the report's verdict
        (None, None, None, None),
    ],
)
def test_decide(dataset_drift, share, threshold, expected) -> None:
    assert decide(dataset_drift, share, threshold) is expected


def test_verdict_and_recorded_tags() -> None:
    assert [verdict(d) for d in (True, False, None)] == ["drift", "no_drift", "unknown"]
    tags = {"mlops.monitor.drift": "true", "mlops.monitor.threshold": "0.3"}
    assert recorded(tags) == (True, 0.3)
    assert recorded({}) == (None, None)


def test_history_shows_what_act_decided_by_its_threshold(store_dir: Path) -> None:
    for share, report_says in ((0.2, True), (0.4, False)):
        with mlops.start_run() as run:
            run.log_metrics({"drift.share": share, "drift.dataset_drift": float(report_says)})
            result = act({"dataset_drift": report_says, "share": share}, name="m", threshold=0.3)
            assert result.drift is (share >= 0.3)
        assert mlops.get_run(run.id).tags["mlops.monitor.threshold"] == "0.3"
    hist = history("m")
    assert list(hist.frame["verdict"]) == ["no_drift", "drift"]
    assert list(hist.frame["dataset_drift"]) == [True, False]
    assert list(hist.frame["threshold"]) == [0.3, 0.3]
    assert hist.threshold == 0.3  # the chart's line: the threshold the monitor acted by


def test_a_run_act_never_judged_is_judged_by_the_same_rule(store_dir: Path) -> None:
    with mlops.start_run() as run:
        run.log_metrics({"drift.share": 0.6, "drift.dataset_drift": 0.0})
        run.set_tag("mlops.monitor", "plain")
    with mlops.start_run() as failed:
        failed.set_tag("mlops.monitor", "plain")
    frame = history("plain").frame
    assert list(frame["verdict"]) == ["no_drift", "unknown"]
