"""From a notebook to the sidebar: a tracked cell's run in the Runs tab (metric, chart), and its
model registered from a cell then promoted from the Models tab behind checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import (
    UI_MS,
    LabServer,
    command,
    new_notebook,
    open_lab,
    open_mlops,
    run_cell,
    save_screenshot,
    wait_kernel_idle,
    widen_sidebar,
)

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


@pytest.fixture(scope="module")
def trained(lab_server: LabServer, browser: Browser) -> Iterator[dict[str, Any]]:
    """In a real notebook: track a cell that fits a model, register the model, save."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(UI_MS)
    page = context.new_page()
    try:
        open_lab(page, lab_server)
        new_notebook(page)
        run_cell(page, 0, "%load_ext jupyter_mlops")
        output = run_cell(page, 1, TRACKED_CELL)
        assert "accuracy" in output, output
        registered = run_cell(page, 2, "%mlops model register churn")
        assert "registered" in registered, registered
        command(page, "docmanager:save")
    finally:
        context.close()
    runs = lab_server.api("GET", "mlops/api/v1/runs")
    yield {"run": runs["items"][0], "output": output}


def test_new_notebook_runs_one_plus_one(lab_server: LabServer, page: Page) -> None:
    # The fixtures themselves: JupyterLab loads, a kernel starts, a typed cell runs.
    open_lab(page, lab_server)
    new_notebook(page)
    page.locator(".jp-NotebookPanel .jp-Cell .cm-content").first.click()
    page.keyboard.type("1+1")
    page.keyboard.press("Shift+Enter")
    first_cell = page.locator(".jp-NotebookPanel .jp-Cell").first
    expect(first_cell.locator(".jp-InputArea-prompt")).to_have_text(re.compile(r"\[1\]"))
    expect(first_cell.locator(".jp-OutputArea-output")).to_have_text("2")
    wait_kernel_idle(page)


def test_tracked_cell_appears_in_runs_tab_and_detail_draws_the_chart(
    lab_server: LabServer, page: Page, trained: dict[str, Any]
) -> None:
    open_lab(page, lab_server)
    panel = open_mlops(page, "Runs")
    row = panel.locator(".jp-mlops-run").first
    expect(row).to_contain_text("finished")
    expect(row).to_contain_text("churn")
    expect(row.locator('[data-metric="accuracy_score"]')).to_contain_text(re.compile(r"0\.\d+"))
    expect(panel.locator(".jp-mlops-count")).to_have_text("1 run")
    # With room in the row, a metric's name shows whole (it used to be cut at 90 px).
    metric = row.locator('[data-metric="accuracy_score"]')
    key = metric.locator(".jp-mlops-metric-key")
    assert key.evaluate("el => el.scrollWidth <= el.clientWidth"), "the metric's name is cut"
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

    # The run's notebook opens in JupyterLab from the detail view.
    run_id = trained["run"]["run_id"]
    notebook = lab_server.api("GET", f"mlops/api/v1/runs/{run_id}")["notebook_in_root"]
    assert notebook and notebook.endswith(".ipynb"), notebook
    detail.get_by_role("button", name=notebook, exact=True).click()
    expect(page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").nth(1)).to_contain_text(
        "%%mlops track"
    )

    # In a narrow sidebar the metric's name gives way (an ellipsis), its value still shows whole.
    widen_sidebar(page, 230)
    assert key.evaluate("el => el.scrollWidth > el.clientWidth"), "the row is not narrow"
    value = metric.locator(".jp-mlops-metric-value").bounding_box()
    shown = metric.bounding_box()
    assert value is not None and shown is not None
    assert value["x"] + value["width"] <= shown["x"] + shown["width"] + 0.5, "the value is cut"


def test_bad_filter_shows_the_error_inline_and_a_good_one_filters(
    lab_server: LabServer, page: Page, trained: dict[str, Any]
) -> None:
    open_lab(page, lab_server)
    panel = open_mlops(page, "Runs")
    expect(panel.locator(".jp-mlops-count")).to_have_text("1 run")

    box = panel.get_by_label("Filter runs")
    box.fill("metrics.accuracy_score >>> 2")
    box.press("Enter")
    expect(panel.get_by_role("alert")).to_be_visible()
    expect(panel.locator(".jp-mlops-run")).to_have_count(0)
    # A bad filter is reported once, not asked again and again.
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/mlops/api/v1/runs" in r.url else None)
    page.wait_for_timeout(1500)
    assert len(asked) <= 1, asked

    box.fill("metrics.accuracy_score > 2")
    box.press("Enter")
    expect(panel.get_by_role("alert")).to_have_count(0)
    expect(panel.locator(".jp-mlops-count")).to_have_text("0 runs")

    box.fill("metrics.accuracy_score > 0.5 and experiment = 'churn'")
    box.press("Enter")
    expect(panel.locator(".jp-mlops-count")).to_have_text("1 run")


def test_promote_from_models_tab_failing_check_changes_nothing_passing_one_moves_stage(
    lab_server: LabServer, page: Page, trained: dict[str, Any]
) -> None:
    open_lab(page, lab_server)
    panel = open_mlops(page, "Models")
    card = panel.locator('[data-model="churn"]')
    card.locator(".jp-mlops-card-head").click()
    version = card.locator('[data-version="1"]')
    version.get_by_role("button", name="Promote…").click()
    form = version.locator(".jp-mlops-promote")
    form.get_by_label("Stage").select_option("staging")

    form.get_by_label("Checks").fill("metrics.accuracy_score >= 0.999")
    form.get_by_role("button", name="Check").click()
    failed = form.locator('[data-check-status="failed"]')
    expect(failed).to_contain_text("metrics.accuracy_score >= 0.999")
    expect(form.get_by_role("status")).to_contain_text("Nothing changed")
    expect(form.get_by_role("button", name="Promote to staging")).to_be_disabled()
    save_screenshot(page, "models-check-failed")
    assert lab_server.api("GET", "mlops/api/v1/models/churn/stages")["held"] == {}

    form.get_by_label("Checks").fill("metrics.accuracy_score >= 0.5")
    form.get_by_role("button", name="Check").click()
    expect(form.locator('[data-check-status="passed"]')).to_contain_text(">= 0.5")
    form.get_by_role("button", name="Promote to staging").click()
    expect(form.get_by_role("status")).to_contain_text("Promoted: staging is now v1")
    expect(version.locator(".jp-mlops-badge-stage-staging")).to_have_text("staging")
    expect(card.locator(".jp-mlops-card-head")).to_contain_text("staging: v1")
    expect(card.locator('.jp-mlops-history [data-outcome="promoted"]')).to_contain_text("staging")
    assert lab_server.api("GET", "mlops/api/v1/models/churn/stages")["held"] == {"staging": 1}
    save_screenshot(page, "models")


def test_track_this_notebook_button_inserts_the_tracking_cell_once(
    lab_server: LabServer, page: Page
) -> None:
    open_lab(page, lab_server)
    new_notebook(page)
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    button = notebook.locator(".jp-mlops-track-button")
    button.click()
    cells = notebook.locator(".jp-Cell")
    expect(cells).to_have_count(2)
    expect(cells.first.locator(".jp-InputArea-editor")).to_have_text(
        "%load_ext jupyter_mlops%mlops track"  # two lines: CodeMirror renders them as blocks
    )
    button.click()
    expect(cells).to_have_count(2)

    output = run_cell(page, 0)
    assert "Traceback" not in output and "Error" not in output, output


def test_runs_list_follows_a_running_run_until_it_ends(
    lab_server: LabServer, page: Page, trained: dict[str, Any]
) -> None:
    open_lab(page, lab_server)
    new_notebook(page)
    run_cell(page, 0, "%load_ext jupyter_mlops\n%mlops track live-one")
    panel = open_mlops(page, "Runs")
    row = panel.locator(".jp-mlops-run", has_text="live-one")
    expect(row.locator(".jp-mlops-badge")).to_have_text("running")

    run_cell(page, 1, "%mlops stop")
    # No reload: the list polls while a run in view is running.
    expect(row.locator(".jp-mlops-badge")).to_have_text("finished", timeout=10_000)
