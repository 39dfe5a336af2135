"""The Pipelines tab tells what ran and why: the run's summary under its card, each step's
reason (cached, skipped, or where it failed) beside it, at the default sidebar width."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from .conftest import LabServer, open_lab, save_screenshot, write_notebook
from .test_lab_sidebar_trust import open_sidebar

PIPELINE = """\
name: tiny
steps:
  make:
    notebook: make.ipynb
    outputs: [data.txt]
"""


def _wait_done(server: LabServer, run_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        detail = server.api("GET", f"mlops/api/v1/pipelines/runs/{run_id}")
        if detail["run"]["status"] not in ("running", "queued"):
            return detail  # type: ignore[no-any-return]
        time.sleep(0.5)
    raise AssertionError(f"pipeline run {run_id} did not end")


def test_pipeline_card_shows_summary_and_step_reasons(lab_server: LabServer, page: Page) -> None:
    root = lab_server.root
    write_notebook(
        root / "make.ipynb", "open('data.txt', 'w').write(str(rows))", parameters="rows = 5"
    )
    (root / "pipeline.yaml").write_text(PIPELINE)
    first = lab_server.api("POST", "mlops/api/v1/pipelines/runs", {"spec": "pipeline.yaml"})
    _wait_done(lab_server, first["run"]["id"])
    # The same inputs again: the step is cached, and the run says so.
    second = lab_server.api(
        "POST", f"mlops/api/v1/pipelines/runs/{first['run']['id']}/rerun", {"resume": False}
    )
    detail = _wait_done(lab_server, second["run"]["id"])
    run = detail["run"]
    step = detail["step_runs"][0]  # type: ignore[index]
    assert run["summary"] and step["reason"], detail  # type: ignore[index]

    open_lab(page, lab_server)
    panel = open_sidebar(page, "Pipelines")
    card = panel.locator(f'[data-pipeline-run="{second["run"]["id"]}"]')
    expect(card.locator("[data-run-summary]")).to_have_text(run["summary"])  # type: ignore[index]
    card.locator(".jp-mlops-card-head").click()
    row = card.locator('tr[data-step="make"]')
    reason = card.locator('tr[data-reason-of="make"] [data-step-reason]')
    expect(reason).to_have_text(step["reason"])  # type: ignore[index]
    expect(row).not_to_contain_text("0 ms")  # a cached step did not run
    save_screenshot(page, "sidebar-pipelines-reasons")
