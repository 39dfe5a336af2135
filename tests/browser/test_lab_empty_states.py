"""Every sidebar tab of an empty store says the one next step, and that step is real: the
functions it names exist (issue 19, bug 2)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import LabServer, open_lab, project_python, save_screenshot
from .test_lab_sidebar_trust import open_sidebar

#: The tab, and what its empty state must name.
EMPTY = {
    "Runs": "Track",
    "Models": "mlops.models.register",
    "Pipelines": "pipeline.yaml",
    "Schedules": "open a notebook and press Schedule on its toolbar",
    "Monitors": "mlops.monitor.act",
}


@pytest.mark.parametrize("tab", list(EMPTY))
def test_each_empty_tab_says_the_next_step(lab_server: LabServer, page: Page, tab: str) -> None:
    open_lab(page, lab_server)
    panel = open_sidebar(page, tab)
    empty = panel.locator(".jp-mlops-empty")
    expect(empty).to_be_visible()
    expect(empty).to_contain_text(EMPTY[tab])
    expect(panel.locator(".jp-mlops-error")).to_have_count(0)
    save_screenshot(page, f"empty-{tab.lower()}")
    # Whatever Python the hint names is importable and callable as written.
    calls = re.findall(r"\b(mlops(?:\.\w+)+)\(", empty.inner_text())
    for call in calls:
        path = call.split(".", 1)[1]
        found = project_python(
            lab_server,
            "import operator, jupyter_mlops as mlops\n"
            f"print(callable(operator.attrgetter({path!r})(mlops)))",
        )
        assert found.strip() == "True", f"{tab}: the empty state names {call}, which does not exist"


def test_a_filter_matching_nothing_says_so(lab_server: LabServer, page: Page) -> None:
    project_python(
        lab_server,
        "import jupyter_mlops as mlops\n"
        "with mlops.start_run('only', experiment='e') as run:\n"
        "    run.log_metric('auc', 0.5)\n",
    )
    open_lab(page, lab_server)
    panel = open_sidebar(page, "Runs")
    expect(panel.locator(".jp-mlops-run")).to_have_count(1)
    box = panel.get_by_label("Filter runs")
    box.fill("metrics.auc > 0.9")
    box.press("Enter")
    expect(panel.locator(".jp-mlops-empty")).to_have_text("No run matches this filter.")
