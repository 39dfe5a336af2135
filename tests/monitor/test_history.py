from __future__ import annotations

import math
from pathlib import Path

import pytest
from matplotlib.figure import Figure

import jupyter_mlops as mlops
from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.monitor.act import act
from jupyter_mlops.monitor.history import history


def _monitor_run(share: float, drift: bool, auc: float | None = None) -> str:
    with mlops.start_run() as run:
        run.log_metrics({"drift.share": share, "drift.dataset_drift": float(drift)})
        if auc is not None:
            run.log_metric("auc", auc)
        act({"dataset_drift": drift, "share": share}, name="churn", alert=[])
    return run.id


def test_history_table_and_chart(store_dir: Path) -> None:
    first = _monitor_run(0.1, False, auc=0.9)
    second = _monitor_run(0.6, True)
    with mlops.start_run():
        mlops.log_metric("drift.share", 0.9)  # not a run of this monitor
    hist = history("churn", metrics=["auc"], threshold=0.5)
    frame = hist.frame
    assert list(frame["run_id"]) == [first, second]
    assert list(frame["drift_share"]) == [0.1, 0.6]
    assert list(frame["dataset_drift"]) == [False, True]
    assert frame["auc"][0] == 0.9 and math.isnan(frame["auc"][1])
    fig = hist.plot()
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert [line.get_ydata()[0] for line in ax.get_lines()][-1] == 0.5  # the threshold line
    assert hist.to_png().startswith(b"\x89PNG")
    assert "<table" in hist._repr_html_()


def test_unknown_monitor(store_dir: Path) -> None:
    with pytest.raises(NotFoundError, match="No monitor or schedule named 'nope'"):
        history("nope")
