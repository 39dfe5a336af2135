"""Metric values JSON has no literal for (NaN, the infinities) in the Runs tab and a run's view,
in the dark theme: shown as NaN, ∞ and -∞, and a NaN or infinite point breaks a chart's line."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .conftest import LabServer, command, open_lab, open_mlops, project_python, save_screenshot

SEED = """\
import math
import jupyter_mlops as mlops
with mlops.start_run("odd-values", experiment="edge") as run:
    run.log_metric("inf_m", math.inf)
    run.log_metric("nan_m", math.nan)
    run.log_metric("ninf_m", -math.inf)
    for step, value in enumerate([1.0, math.nan, 0.5, math.inf, 0.25]):
        run.log_metric("curve", value, step=step)
"""


def test_nan_and_infinite_metrics_are_shown_as_such(lab_server: LabServer, page: Page) -> None:
    project_python(lab_server, SEED)
    open_lab(page, lab_server)
    command(page, "apputils:change-theme", {"theme": "JupyterLab Dark"})
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false")
    panel = open_mlops(page, "Runs")
    row = panel.locator(".jp-mlops-run", has_text="odd-values")
    expect(row.locator('[data-metric="inf_m"]')).to_have_text("inf_m ∞")
    expect(row.locator('[data-metric="nan_m"]')).to_have_text("nan_m NaN")
    save_screenshot(page, "runs-dark")

    row.click()
    detail = page.locator(".jp-mlops-page")
    expect(detail.locator('[data-chart="ninf_m"] .jp-mlops-big')).to_have_text("-∞")
    expect(detail.locator('[data-chart="nan_m"] .jp-mlops-big')).to_have_text("NaN")
    chart = detail.locator('svg[aria-label="curve chart"]')
    expect(chart.locator("circle")).to_have_count(3)  # the finite points
    expect(chart.locator("path")).to_have_count(3)  # NaN and ∞ leave gaps
    expect(detail.locator('[data-chart="curve"] figcaption')).to_contain_text("last 0.25")
    save_screenshot(page, "run-detail-dark")
