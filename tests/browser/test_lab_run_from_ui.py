"""Run and schedule from the UI as a person would, at the default sidebar width, in JupyterLab
Light and Dark: start a pipeline of the project and watch its step graph go green; a failing
step shows its failing cell; Cancel stops a long step; a notebook's Schedule button creates a
schedule with its next runs previewed in the chosen timezone; edit it, delete it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from .conftest import (
    LabServer,
    command,
    open_lab,
    open_notebook,
    save_screenshot,
    write_notebook,
)
from .test_lab_sidebar_trust import open_sidebar

THEMES = ["JupyterLab Light", "JupyterLab Dark"]
LONG_MS = 120_000


@pytest.fixture(scope="module")
def project(lab_server: LabServer) -> Iterator[LabServer]:
    root = lab_server.root
    write_notebook(root / "prep.ipynb", "print('prepared', rows)", parameters="rows = 10")
    write_notebook(root / "fit.ipynb", "print('fitted with C =', C)", parameters="C = 1.0")
    write_notebook(
        root / "slow.ipynb",
        "import time\nfor i in range(seconds * 10):\n    print('tick', i, flush=True)\n"
        "    time.sleep(0.1)",
        parameters="seconds = 300",
    )
    write_notebook(
        root / "boom.ipynb", "y = x + 1", "raise ValueError('bad rows: 3')", parameters="x = 1"
    )
    write_notebook(
        root / "report.ipynb", "print(window, label)", parameters="window = 7\nlabel = 'daily'"
    )
    (root / "train.yaml").write_text(
        "name: train\nenvironments:\n  dev: {params: {prep.rows: 5}}\n"
        "steps:\n  prep: {notebook: prep.ipynb}\n  fit: {notebook: fit.ipynb, needs: [prep]}\n"
    )
    (root / "slow.yaml").write_text("name: slow\nsteps:\n  wait: {notebook: slow.ipynb}\n")
    (root / "boom.yaml").write_text(
        "name: boom\nsteps:\n  prep: {notebook: prep.ipynb}\n"
        "  boom: {notebook: boom.ipynb, needs: [prep]}\n"
    )
    yield lab_server


def _theme(page: Page, theme: str) -> str:
    command(page, "apputils:change-theme", {"theme": theme})
    light = "false" if theme.endswith("Dark") else "true"
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", light)
    return "dark" if theme.endswith("Dark") else "light"


def _start(page: Page, spec: str) -> None:
    panel = page.locator("#jupyter-mlops-sidebar")
    panel.get_by_role("button", name="Run a pipeline…").click()
    form = panel.get_by_role("form", name="Run a pipeline")
    form.get_by_label("Pipeline spec").select_option(spec)
    expect(form.locator("[data-plan-summary]")).to_contain_text("would run")
    form.get_by_role("button", name="Start").click()
    expect(form).to_have_count(0)


@pytest.mark.parametrize("theme", THEMES)
def test_run_a_pipeline_see_its_graph_its_failing_cell_and_cancel(
    project: LabServer, page: Page, theme: str
) -> None:
    open_lab(page, project)
    shade = _theme(page, theme)
    panel = open_sidebar(page, "Pipelines")

    # Pick the spec, an environment and a parameter; a bad value is refused inline.
    panel.get_by_role("button", name="Run a pipeline…").click()
    form = panel.get_by_role("form", name="Run a pipeline")
    form.get_by_label("Pipeline spec").select_option("train.yaml")
    form.get_by_label("Environment").select_option("dev")
    c = form.get_by_label("Parameter fit.C")
    expect(c).to_have_value("1.0")
    c.fill("abc")
    expect(form.get_by_role("alert")).to_contain_text("'abc' is not a float")
    expect(form.get_by_role("button", name="Start")).to_be_disabled()
    value = "0.5" if shade == "light" else "0.25"  # a value of its own: nothing cached
    c.fill(value)
    # prep's parameters did not change: cached after the first theme's run.
    expect(form.locator("[data-plan-summary]")).to_contain_text("of 2 step(s) would run.")
    expect(form.locator("[data-plan-summary]")).not_to_contain_text("0 of 2")
    save_screenshot(page, f"run-from-ui-form-{shade}")
    form.get_by_role("button", name="Start").click()

    card = panel.locator("[data-pipeline-run]").first
    dag = card.locator(".jp-mlops-dag")
    expect(dag.locator('[data-dag-step="prep"]')).to_be_visible()
    expect(card).to_have_attribute("data-status", "ok", timeout=LONG_MS)
    expect(dag.locator('[data-dag-step="fit"]')).to_have_attribute("data-status", "ok")
    prep = dag.locator('[data-dag-step="prep"]').get_attribute("data-status")
    assert prep in ("ok", "cached"), prep  # green either way; cached says "unchanged"
    card.locator('tr[data-step="fit"]').click()
    expect(card.locator("[data-log-output]")).to_contain_text(f"fitted with C = {value}")
    save_screenshot(page, f"run-from-ui-{shade}")

    # A failing step: its node is red, the failing cell's code and its error are shown.
    _start(page, "boom.yaml")
    card = panel.locator("[data-pipeline-run]").first
    expect(card).to_have_attribute("data-status", "failed", timeout=LONG_MS)
    dag = card.locator(".jp-mlops-dag")
    expect(dag.locator('[data-dag-step="boom"]')).to_have_attribute("data-status", "failed")
    failure = card.locator(".jp-mlops-failure")
    expect(failure.locator(".jp-mlops-failure-source")).to_have_text(
        "raise ValueError('bad rows: 3')"
    )
    expect(failure.locator("[data-failure-error]")).to_have_text("ValueError: bad rows: 3")
    save_screenshot(page, f"run-from-ui-failed-{shade}")

    # A long step shows its output live; Cancel kills it and the run ends cancelled.
    _start(page, "slow.yaml")
    card = panel.locator("[data-pipeline-run]").first
    expect(card.locator("[data-log-output]")).to_contain_text("tick 3", timeout=LONG_MS)
    card.get_by_role("button", name="Cancel").click()
    expect(card).to_have_attribute("data-status", "cancelled")
    expect(card.locator('[data-dag-step="wait"]')).to_have_attribute(
        "data-status", "cancelled", timeout=30_000
    )
    run_id = card.get_attribute("data-pipeline-run")
    detail = project.api("GET", f"mlops/api/v1/pipelines/runs/{run_id}")
    assert detail["run"]["status"] == "cancelled"
    assert [s["status"] for s in detail["step_runs"]] == ["cancelled"]
    save_screenshot(page, f"run-from-ui-cancelled-{shade}")


@pytest.mark.parametrize("theme", THEMES)
def test_create_a_schedule_from_the_notebook_toolbar_edit_and_delete_it(
    project: LabServer, page: Page, theme: str
) -> None:
    open_lab(page, project)
    shade = _theme(page, theme)
    open_notebook(page, "report.ipynb")
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-mlops-schedule-button").click()
    dialog = page.locator(".jp-Dialog")
    form = dialog.get_by_role("form", name="Create schedule")
    name = f"report-{shade}"
    form.get_by_label("Schedule name").fill(name)
    expect(form.get_by_label("Parameters")).to_have_value("window=7\nlabel=daily")
    form.get_by_label("Cron expression").fill("61 6 * * *")
    preview = form.locator("[data-cron-preview]")
    expect(preview.get_by_role("alert")).to_contain_text("Invalid cron expression")
    form.get_by_label("Cron expression").fill("30 6 * * 1-5")
    form.get_by_label("Timezone").fill("Asia/Kolkata")
    ticks = preview.locator("li")
    expect(ticks).to_have_count(5)
    for text in ticks.all_inner_texts():
        assert " 06:30 IST (UTC+05:30)" in text and not text.startswith(("Sat", "Sun")), text
    save_screenshot(page, f"schedule-create-{shade}")

    form.get_by_label("Parameters").fill("window=abc\nlabel=daily")
    form.get_by_role("button", name="Create").click()
    expect(form.get_by_role("alert")).to_contain_text("'abc'")
    assert name not in [s["name"] for s in project.api("GET", "mlops/api/v1/schedules")["items"]]
    form.get_by_label("Parameters").fill("window=14\nlabel=daily")
    form.get_by_role("button", name="Create").click()
    expect(dialog).to_have_count(0)

    panel = page.locator("#jupyter-mlops-sidebar")
    card = panel.locator(f'[data-schedule="{name}"]')
    expect(card).to_contain_text("30 6 * * 1-5")
    expect(card).to_contain_text("Asia/Kolkata")
    stored = project.api("GET", f"mlops/api/v1/schedules/{name}")
    assert (stored["timezone"], stored["params"]) == (
        "Asia/Kolkata",
        {"window": 14, "label": "daily"},
    )

    card.get_by_role("button", name="Edit").click()
    edit = card.get_by_role("form", name=f"Edit schedule {name}")
    edit.get_by_label("Cron expression").fill("0 8 * * *")
    expect(edit.locator("[data-cron-preview] li").first).to_contain_text(" 08:00 IST")
    save_screenshot(page, f"schedule-edit-{shade}")
    edit.get_by_role("button", name="Save").click()
    expect(edit).to_have_count(0)
    expect(card).to_contain_text("0 8 * * *")
    assert project.api("GET", f"mlops/api/v1/schedules/{name}")["cron"] == "0 8 * * *"

    card.get_by_role("button", name="Delete").click()
    page.locator(".jp-Dialog").get_by_role("button", name="Delete").click()
    expect(card).to_have_count(0)
    assert name not in [s["name"] for s in project.api("GET", "mlops/api/v1/schedules")["items"]]
