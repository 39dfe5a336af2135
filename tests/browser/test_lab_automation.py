"""Pipelines, Schedules and Monitors tabs: start a pipeline and watch its steps move, open a
step's output notebook, rerun; pause, resume and run a schedule; see a monitor's drift trend."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from .conftest import (
    LabServer,
    open_lab,
    open_mlops,
    project_python,
    save_screenshot,
    write_notebook,
)

PIPELINE = """\
name: nightly
steps:
  prepare:
    notebook: prepare.ipynb
    outputs: [data.txt]
  train:
    notebook: train.ipynb
    needs: [prepare]
    inputs: [data.txt]
"""

SEED_MONITOR = """\
import jupyter_mlops as mlops
for i, share in enumerate([0.05, 0.12, 0.2, 0.45]):
    with mlops.start_run(f"drift-{i}", experiment="monitoring") as run:
        run.log_metric("drift.share", share)
        run.log_metric("drift.dataset_drift", float(share >= 0.3))
        run.set_tag("mlops.monitor", "orders-drift")
"""


@pytest.fixture(scope="module")
def project(lab_server: LabServer) -> Iterator[LabServer]:
    """A pipeline of two slow-enough steps, a schedule, and a monitor with four runs."""
    root = lab_server.root
    write_notebook(
        root / "prepare.ipynb",
        "import time\ntime.sleep(3)\nopen('data.txt', 'w').write(str(rows))",
        parameters="rows = 100",
    )
    write_notebook(
        root / "train.ipynb", "import time\ntime.sleep(2)\nprint(open('data.txt').read())"
    )
    (root / "pipeline.yaml").write_text(PIPELINE)
    project_python(lab_server, SEED_MONITOR)
    lab_server.api(
        "POST",
        "mlops/api/v1/schedules",
        {"name": "nightly-train", "cron": "0 6 * * *", "pipeline": "pipeline.yaml"},
    )
    yield lab_server


def _step_status(page: Page, step: str) -> str | None:
    row = page.locator(f'#jupyter-mlops-sidebar tr[data-step="{step}"]')
    return row.first.get_attribute("data-status") if row.count() else None


def test_start_a_pipeline_and_watch_its_steps_change(project: LabServer, page: Page) -> None:
    open_lab(page, project)
    panel = open_mlops(page, "Pipelines")
    panel.get_by_role("button", name="Run a pipeline…").click()
    expect(panel.get_by_label("Pipeline spec")).to_have_value("pipeline.yaml")
    expect(panel.locator("[data-plan-summary]")).to_contain_text("would run")
    panel.get_by_role("button", name="Start", exact=True).click()

    card = panel.locator("[data-pipeline-run]").first
    seen: dict[str, list[str]] = {"prepare": [], "train": []}
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        for step, states in seen.items():
            status = _step_status(page, step)
            if status and (not states or states[-1] != status):
                states.append(status)
        if card.get_attribute("data-status") not in (None, "running"):
            break
        page.wait_for_timeout(250)
    # The panel showed the steps moving, not only where they ended.
    assert any(s in ("queued", "running") for s in seen["prepare"] + seen["train"]), seen
    expect(card).to_have_attribute("data-status", "ok")
    for step in ("prepare", "train"):
        expect(panel.locator(f'tr[data-step="{step}"]')).to_have_attribute("data-status", "ok")
    save_screenshot(page, "pipelines")

    # A step's output notebook opens in JupyterLab.
    panel.locator('tr[data-step="train"]').get_by_role("button", name="notebook").click()
    output = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output")
    expect(output.last).to_contain_text("100")

    # Rerun makes a second run of the pipeline (its steps cached: nothing changed).
    card.get_by_role("button", name="Rerun").click()
    expect(panel.locator("[data-pipeline-run]")).to_have_count(2)
    expect(panel.locator("[data-pipeline-run]").first).to_have_attribute(
        "data-status", "ok", timeout=120_000
    )


def test_schedule_pause_resume_and_run_now(project: LabServer, page: Page) -> None:
    open_lab(page, project)
    panel = open_mlops(page, "Schedules")
    card = panel.locator('[data-schedule="nightly-train"]')
    expect(card).to_contain_text("0 6 * * *")
    expect(card).to_contain_text("next in")
    save_screenshot(page, "schedules")

    card.get_by_role("button", name="Pause").click()
    expect(card.locator(".jp-mlops-badge-paused")).to_be_visible()
    assert project.api("GET", "mlops/api/v1/schedules/nightly-train")["enabled"] is False
    card.get_by_role("button", name="Resume").click()
    expect(card.locator(".jp-mlops-badge-active")).to_be_visible()
    assert project.api("GET", "mlops/api/v1/schedules/nightly-train")["enabled"] is True

    card.get_by_role("button", name="Run now").click()
    history = card.locator(".jp-mlops-schedule-runs tr")
    expect(history.first).to_have_attribute("data-status", "finished", timeout=120_000)
    # The tick links the run it triggered (issue 19 bug 7): it opens in a tab.
    history.first.get_by_role("button", name="run", exact=True).click()
    # The tab is titled "Run <id>" until the run is read, then by the run's name.
    tick = project.api("GET", "mlops/api/v1/schedules/nightly-train/history")["items"][0]
    name = project.api("GET", f"mlops/api/v1/runs/{tick['run_id']}")["name"]
    expect(page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=name)).to_be_visible()


def test_monitor_shows_latest_verdict_and_trend(project: LabServer, page: Page) -> None:
    open_lab(page, project)
    panel = open_mlops(page, "Monitors")
    card = panel.locator('[data-monitor="orders-drift"]')
    expect(card).to_have_attribute("data-verdict", "drift")
    expect(card).to_contain_text("drift share 0.45")
    expect(card).to_contain_text("4 runs")
    expect(card.locator('svg[aria-label="drift share chart"] circle')).to_have_count(4)
    save_screenshot(page, "monitors")
