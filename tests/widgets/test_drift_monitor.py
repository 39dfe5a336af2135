"""The drift report panel and the monitor timeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import jupyter_mlops as mlops
from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.monitor.act import act
from jupyter_mlops.store import Store


@pytest.fixture
def report() -> mlops.monitor.DriftReport:
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"age": rng.normal(40, 5, 500), "plan": rng.choice(["a", "b"], 500)})
    cur = pd.DataFrame({"age": rng.normal(55, 5, 500), "plan": rng.choice(["a", "b"], 500)})
    return mlops.monitor.drift(ref, cur, log=False)


def test_drift_table_marks_drifted_columns_red(report: mlops.monitor.DriftReport) -> None:
    panel = mlops.widgets.drift(report)
    html = panel._repr_mimebundle_()["text/html"]
    assert "<td>age</td>" in html and '<span class="yes">drift</span>' in html
    assert "<svg" in html  # a small histogram per column
    panel.only_drifted.value = True
    assert "<td>age</td>" in panel.table.value and "<td>plan</td>" not in panel.table.value
    panel.only_drifted.value = False
    panel.order.value = "most drifted first"
    assert panel.table.value.index("<td>age</td>") < panel.table.value.index("<td>plan</td>")


def test_drift_wants_a_report() -> None:
    with pytest.raises(MlopsUsageError, match="Give a drift report"):
        mlops.widgets.drift(pd.DataFrame())


def _monitor_run(project: Store, share: float, drift: bool) -> None:
    with mlops.start_run(store=project) as run:
        run.log_metrics({"drift.share": share, "drift.dataset_drift": float(drift)})
        act({"dataset_drift": drift, "share": share}, name="churn", alert=[])


def test_monitor_timeline_threshold_and_refresh(project: Store) -> None:
    _monitor_run(project, 0.1, False)
    panel = mlops.widgets.monitor("churn", threshold=0.5)
    assert "1 runs; alert threshold 0.5" in panel.body.value
    assert 'alt="monitor churn drift share"' in panel.body.value
    _monitor_run(project, 0.7, True)
    panel.refresh_button.click()
    assert 'class="mlops-drifted"' in panel.body.value
    assert '<span class="bad">0.7</span>' in panel.body.value  # over the threshold
    panel.threshold.value = 0.8
    assert "alert threshold 0.8" in panel.to_html()
    assert '<span class="bad">0.7</span>' not in panel.body.value


def test_unknown_monitor(project: Store) -> None:
    with pytest.raises(NotFoundError, match="No monitor or schedule named 'nope'"):
        mlops.widgets.monitor("nope")
