"""The notebook panels in a real JupyterLab: what a person sees in the cell's output."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from .conftest import LabServer, _notebook_cells, new_notebook, open_lab, run_cell

SETUP = """\
import numpy as np, pandas as pd
import jupyter_mlops as mlops
for name, auc, status in (("alpha", 0.91, "finished"), ("beta", 0.72, "failed")):
    with mlops.start_run(name, experiment="churn", params={"C": 0.5}) as run:
        for step in range(5):
            run.log_metric("loss", 1 / (step + 1), step=step)
        run.log_metric("auc", auc)
        if status == "failed":
            run.end("failed")
rng = np.random.default_rng(0)
report = mlops.monitor.drift(
    pd.DataFrame({"age": rng.normal(40, 5, 400), "plan": rng.choice(["a", "b"], 400)}),
    pd.DataFrame({"age": rng.normal(60, 5, 400), "plan": rng.choice(["a", "b"], 400)}),
)
print("ready")
"""
RED = "rgb(176, 0, 32)"


def _output(page: Page, index: int) -> Locator:
    return _notebook_cells(page).nth(index).locator(".jp-OutputArea-output")


def test_runs_table_drift_report_and_run_charts(lab_server: LabServer, page: Page) -> None:
    open_lab(page, lab_server)
    new_notebook(page)
    assert "ready" in run_cell(page, 0, SETUP)

    run_cell(page, 1, "mlops.widgets.runs()")
    table = _output(page, 1)
    rows = table.locator("table.mlops-runs-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("beta")  # newest first
    expect(rows.nth(1)).to_contain_text("alpha")
    failed = table.locator(".badge.mlops-failed")
    expect(failed).to_have_text("failed")
    expect(failed).to_have_css("background-color", RED)
    expect(table).to_contain_text("page 1 of 1 (2 runs)")

    box = table.locator(".widget-text input").first
    box.fill("metrics.auc > 0.9")
    box.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("alpha")
    box.fill("metrics.auc >>> 1")
    box.press("Enter")
    error = table.locator(".error")
    expect(error).to_contain_text("Filter error")
    expect(error).to_have_css("color", RED)

    run_cell(page, 2, "mlops.widgets.drift(report)")
    drift = _output(page, 2)
    age = drift.locator("tr", has=page.locator("td", has_text=re.compile(r"^age$")))
    verdict = age.locator("span.yes")
    expect(verdict).to_have_text("drift")
    expect(verdict).to_have_css("color", RED)
    expect(age.locator("svg")).to_be_visible()  # the column's small histogram
    expect(drift).to_contain_text("Drift detected")

    run_cell(page, 3, 'mlops.widgets.run("alpha")')
    detail = _output(page, 3)
    detail.get_by_role("tab", name="Metrics").click()
    chart = detail.locator('img[alt="loss by step"]')
    expect(chart).to_be_visible()
    assert chart.evaluate("img => img.naturalWidth") > 100  # a real PNG, decoded
