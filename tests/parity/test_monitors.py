"""Monitors: the verdict is the monitor's own decision (by its threshold) on every face.

A monitor whose drift share (0.4) is over its threshold (0.3) alerted, though the drift
report's own verdict was "no drift": every face says drift. One whose share (0.2) is under
its threshold did not alert, though the report said drift: every face says no drift.
"""

from __future__ import annotations

import re

import jupyter_mlops as mlops
from jupyter_mlops.monitor import act
from tests.parity.conftest import Faces

NAME = "parity-watch"


def _monitor_run(share: float, report_says_drift: bool) -> str:
    with mlops.start_run(experiment="parity-monitoring") as run:
        run.log_metrics({"drift.share": share, "drift.dataset_drift": float(report_says_drift)})
        report = {"dataset_drift": report_says_drift, "share": share}
        act(report, name=NAME, alert=["log"], threshold=0.3)
    return run.id


def _row(html: str, name: str) -> str:
    (row,) = [r for r in re.findall(r"<tr>.*?</tr>", html, re.S) if f">{name}<" in r]
    return row


def test_the_verdict_is_the_monitors_decision_on_every_face(faces: Faces) -> None:
    _monitor_run(0.2, True)
    _monitor_run(0.4, False)

    frame = mlops.monitor.history(NAME).frame
    assert list(frame["verdict"]) == ["no_drift", "drift"]
    assert list(frame["dataset_drift"]) == [True, False]

    (summary,) = [m for m in faces.rest("monitors")["items"] if m["name"] == NAME]
    assert summary["latest_verdict"] == "drift"
    assert (summary["threshold"], summary["latest_dataset_drift"]) == (0.3, False)
    (cli,) = [m for m in faces.cli_json("monitor", "list")["items"] if m["name"] == NAME]
    assert cli == summary

    trend = faces.rest(f"monitors/{NAME}/history")
    assert [p["verdict"] for p in trend["points"]] == ["no_drift", "drift"]
    assert [p["threshold"] for p in trend["points"]] == [0.3, 0.3]
    assert faces.cli_json("monitor", "history", NAME) == trend

    text = faces.cli("monitor", "history", NAME).out.splitlines()
    assert "no drift" in text[1] and "no drift" not in text[2] and " drift " in text[2]
    listed = _row(faces.magic("monitor list").displays[0]["text/html"], NAME)
    assert "<td>drift</td>" in listed
    panel = faces.magic(f"monitor history {NAME}").displays[0]["text/html"]
    rows = re.findall(r"<tr[^>]*>.*?</tr>", panel, re.S)[-2:]
    assert '<span class="good">no drift</span>' in rows[0]
    assert '<span class="bad">drift</span>' in rows[1] and "mlops-drifted" in rows[1]
