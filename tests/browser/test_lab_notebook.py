"""The Runs tab: a run tracked in a notebook shows up with its metric; its detail draws charts."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .conftest import LabServer, new_notebook, open_lab, open_mlops, run_cell, save_screenshot

TRACKED_CELL = """\
%%mlops track --experiment churn
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
import jupyter_mlops as mlops

X, y = make_classification(n_samples=300, random_state=0)
clf = LogisticRegression(C=0.5, max_iter=200).fit(X, y)
acc = accuracy_score(y, clf.predict(X))
for step in range(6):
    mlops.log_metric("loss", 1.0 / (step + 1), step=step)
print(f"accuracy {acc:.3f}")
"""


def test_tracked_cell_appears_in_runs_tab_and_detail_draws_the_chart(
    lab_server: LabServer, page: Page
) -> None:
    open_lab(page, lab_server)
    new_notebook(page)
    run_cell(page, 0, "%load_ext jupyter_mlops")
    output = run_cell(page, 1, TRACKED_CELL)
    assert "accuracy" in output, output

    panel = open_mlops(page, "Runs")
    row = panel.locator(".jp-mlops-run").first
    expect(row).to_contain_text("finished")
    expect(row).to_contain_text("churn")
    expect(row.locator('[data-metric="accuracy_score"]')).to_contain_text(re.compile(r"0\.\d+"))
    expect(panel.locator(".jp-mlops-count")).to_have_text("1 run")
    save_screenshot(page, "runs")

    row.click()
    detail = page.locator(".jp-mlops-page")
    expect(detail.get_by_role("heading", level=2)).to_contain_text("finished")
    chart = detail.locator('svg[aria-label="loss chart"]')
    expect(chart).to_be_visible()
    expect(chart.locator("circle")).to_have_count(6)
    expect(detail.locator(".jp-mlops-params")).to_contain_text("0.5")
    expect(detail.locator('[data-chart="accuracy_score"]')).to_be_visible()
    save_screenshot(page, "run-detail")


def test_bad_filter_shows_the_error_inline_and_a_good_one_filters(
    lab_server: LabServer, page: Page
) -> None:
    open_lab(page, lab_server)
    panel = open_mlops(page, "Runs")
    expect(panel.locator(".jp-mlops-count")).to_have_text(re.compile(r"\d+ runs?"))

    box = panel.get_by_label("Filter runs")
    box.fill("metrics.accuracy_score >>> 2")
    box.press("Enter")
    expect(panel.get_by_role("alert")).to_be_visible()

    box.fill("metrics.accuracy_score > 2")
    box.press("Enter")
    expect(panel.get_by_role("alert")).to_have_count(0)
    expect(panel.locator(".jp-mlops-count")).to_have_text("0 runs")
