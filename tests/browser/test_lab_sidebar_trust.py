"""The sidebar at JupyterLab's default width (250 px), in light and dark, as a data scientist
reads it: names and cron expressions legible, the monitor's own verdict, promotion without
checks, schedule ticks, gate values and dates (issue 19, bugs 1, 4, 6, 7, 8)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import (
    LabServer,
    command,
    open_lab,
    project_python,
    save_screenshot,
    write_notebook,
)

RUN_NAME = "gradient-boosting-baseline"
MODEL = "customer-churn-classifier"
SCHEDULE = "nightly-churn-retrain"

SEED = f"""\
import numpy as np
from sklearn.linear_model import LogisticRegression
import jupyter_mlops as mlops

for i, auc in enumerate([0.81, 0.86]):
    with mlops.start_run("{RUN_NAME}-" + str(i), experiment="customer-churn-prediction") as run:
        run.log_metric("roc_auc", auc)
        run.log_metric("accuracy", 0.7 + i / 10)
rng = np.random.default_rng(0)
X = rng.normal(size=(60, 3))
y = (X[:, 0] > 0).astype(int)
version = mlops.models.register(LogisticRegression().fit(X, y), "{MODEL}")
mlops.models.set_tag("{MODEL}", version.version, "roc_auc", 0.912345678901234)

# A monitor whose own threshold (0.3) is crossed while the 50 % dataset rule is not.
with mlops.start_run("orders-check", experiment="monitoring") as run:
    mlops.monitor.act({{"dataset_drift": False, "share": 0.4}}, name="orders-drift",
                      threshold=0.3, run=run)
"""


def open_sidebar(page: Page, tab: str) -> Locator:
    """Open the MLOps sidebar on ``tab`` at the width JupyterLab gives it (not widened)."""
    panel = page.locator("#jupyter-mlops-sidebar")
    if not panel.is_visible():
        page.locator('.jp-SideBar [data-id="jupyter-mlops-sidebar"]').click()
    expect(panel).to_be_visible()
    panel.get_by_role("tab", name=tab).click()
    expect(panel.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
    return panel


def _shown_width(locator: Locator) -> Any:
    """(visible width, full text width) of an element in px: equal when nothing is cut."""
    return locator.evaluate("el => [el.clientWidth, el.scrollWidth]")


@pytest.fixture(scope="module")
def project(lab_server: LabServer) -> Iterator[LabServer]:
    root = lab_server.root
    write_notebook(root / "report.ipynb", "print('report', rows)", parameters="rows = 3")
    project_python(lab_server, SEED)
    lab_server.api(
        "POST",
        "mlops/api/v1/schedules",
        {
            "name": SCHEDULE,
            "cron": "30 6 * * 1-5",
            "notebook": "report.ipynb",
            "timezone": "Asia/Tokyo",
        },
    )
    lab_server.api("POST", f"mlops/api/v1/schedules/{SCHEDULE}/run")
    yield lab_server


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_names_and_cron_are_legible_at_the_default_width(
    project: LabServer, page: Page, theme: str
) -> None:
    open_lab(page, project)
    command(page, "apputils:change-theme", {"theme": theme})
    suffix = "dark" if theme.endswith("Dark") else "light"
    panel = open_sidebar(page, "Runs")
    width = panel.bounding_box()["width"]  # type: ignore[index]
    assert 240 <= width <= 300, width  # JupyterLab's default sidebar

    name = panel.locator(".jp-mlops-run-name", has_text=f"{RUN_NAME}-1")
    expect(name).to_be_visible()
    shown, full = _shown_width(name)
    assert shown >= full, f"the run name is cut: {shown} of {full} px"
    save_screenshot(page, f"sidebar-runs-{suffix}")

    panel = open_sidebar(page, "Models")
    name = panel.locator(f'[data-model="{MODEL}"] .jp-mlops-run-name')
    expect(name).to_be_visible()
    shown, full = _shown_width(name)
    assert shown >= full, f"the model name is cut: {shown} of {full} px"
    save_screenshot(page, f"sidebar-models-{suffix}")

    panel = open_sidebar(page, "Schedules")
    card = panel.locator(f'[data-schedule="{SCHEDULE}"]')
    name = card.locator(".jp-mlops-run-name")
    shown, full = _shown_width(name)
    assert shown >= full, f"the schedule name is cut: {shown} of {full} px"
    cron = card.locator("code", has_text="30 6 * * 1-5")
    expect(cron).to_be_visible()
    line = cron.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || 16")
    height = cron.bounding_box()["height"]  # type: ignore[index]
    assert height < 1.8 * line, f"the cron expression wraps: {height} px for {line} px lines"
    save_screenshot(page, f"sidebar-schedules-{suffix}")


def test_monitor_badge_is_the_monitors_own_verdict(project: LabServer, page: Page) -> None:
    open_lab(page, project)
    panel = open_sidebar(page, "Monitors")
    card = panel.locator('[data-monitor="orders-drift"]')
    expect(card).to_have_attribute("data-verdict", "drift")
    expect(card.locator(".jp-mlops-badge")).to_have_text("drift")
    expect(card).to_contain_text("threshold 0.3")
    save_screenshot(page, "sidebar-monitors-light")


def test_promotion_with_no_checks_says_so(project: LabServer, page: Page) -> None:
    open_lab(page, project)
    panel = open_sidebar(page, "Models")
    panel.locator(f'[data-model="{MODEL}"] .jp-mlops-card-head').click()
    version = panel.locator('[data-version="1"]')
    version.get_by_role("button", name="Promote…").click()
    version.get_by_label("Stage").select_option("staging")
    version.get_by_role("button", name="Check").click()
    outcome = version.get_by_role("status")
    expect(outcome).to_contain_text(re.compile("no checks given", re.IGNORECASE))
    expect(outcome).not_to_contain_text("Every check passes")
    # production is gated: with no check the dry run says it would be refused, and why.
    version.get_by_label("Stage").select_option("production")
    version.get_by_role("button", name="Check").click()
    expect(version.locator('[data-check-status="error"]')).to_contain_text(
        "Promotion to production needs at least one check"
    )
    expect(outcome).not_to_contain_text("Every check passes")
    expect(outcome).not_to_contain_text("no checks given")
    assert project.api("GET", f"mlops/api/v1/models/{MODEL}/stages")["held"] == {}
    save_screenshot(page, "sidebar-promote-no-checks")


def test_gate_values_are_rounded_for_people(project: LabServer, page: Page) -> None:
    open_lab(page, project)
    panel = open_sidebar(page, "Models")
    panel.locator(f'[data-model="{MODEL}"] .jp-mlops-card-head').click()
    version = panel.locator('[data-version="1"]')
    # The version shows the values a check reads, named as a check names them.
    expect(version.locator('[data-gate-key="tags.roc_auc"]')).to_have_text("tags.roc_auc 0.9123")
    version.get_by_role("button", name="Promote…").click()
    version.get_by_label("Checks").fill("tags.roc_auc >= 0.9")
    version.get_by_role("button", name="Check").click()
    check = version.locator("[data-check-status]")
    expect(check).to_have_attribute("data-check-status", "passed")
    expect(check).to_contain_text("0.9123")
    expect(check).not_to_contain_text("0.912345678901234")


def test_schedule_ticks_and_next_run(project: LabServer, page: Page) -> None:
    open_lab(page, project)
    panel = open_sidebar(page, "Schedules")
    card = panel.locator(f'[data-schedule="{SCHEDULE}"]')
    # The next run is told in the schedule's own time zone, with its label.
    next_run = card.locator("[data-next-run]")
    expect(next_run).to_contain_text("Asia/Tokyo")
    expect(next_run).to_contain_text("06:30")
    card.locator(".jp-mlops-card-head").click()
    tick = card.locator(".jp-mlops-schedule-runs tr").first
    expect(tick).to_have_attribute("data-status", "finished", timeout=120_000)
    expect(tick).to_contain_text(re.compile(r"ago"))
    expect(tick).not_to_contain_text(re.compile(r"\bin \d"))
    expect(tick).not_to_contain_text(re.compile(r"^0 ms$|· 0 ms"))
    # A tick links to the run it made.
    tick.get_by_role("button", name="run").click()
    expect(page.locator(".jp-mlops-page")).to_be_visible()
    save_screenshot(page, "sidebar-schedule-ticks")
