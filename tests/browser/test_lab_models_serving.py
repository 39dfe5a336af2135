"""The Models tab shows which version a server answers with and its recent traffic, at
JupyterLab's default sidebar width, in light and dark (issue 17)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import LabServer, command, open_lab, project_python, save_screenshot

MODEL = "customer-churn-classifier"

SEED = f"""\
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
import jupyter_mlops as mlops

rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=(80, 3)), columns=["tenure", "charges", "calls"])
y = (X["tenure"] > 0).astype(int)
for C in (1.0, 0.1):
    with mlops.start_run(experiment="churn") as run:
        run.log_model(LogisticRegression(C=C).fit(X, y), "model", input_example=X[:3])
    mlops.models.register(run.id, "{MODEL}")
mlops.models.promote("{MODEL}", 1, to="production", checks=["version >= 1"])
"""


def _post(url: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        status: int = answer.status
        return status


@pytest.fixture(scope="module")
def served(lab_server: LabServer) -> Iterator[tuple[LabServer, str]]:
    """The project with version 1 in production, served by `jupyter-mlops serve` with traffic."""
    project_python(lab_server, SEED)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter_mlops.cli", "serve", f"models:/{MODEL}@production",
         "--port", "0"],
        cwd=lab_server.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        found = re.search(r"at (http://\S+) ", process.stdout.readline())
        assert found, "the server did not start"
        url = found.group(1)
        row = {"tenure": 0.5, "charges": -1.0, "calls": 2.0}
        for _ in range(12):
            assert _post(f"{url}/invocations", {"dataframe_records": [row, row]}) == 200
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # logged batches are flushed every second
            view = lab_server.api("GET", f"mlops/api/v1/models/{MODEL}/serving")
            if view["traffic"]:
                break
            time.sleep(0.5)
        assert view["traffic"][0]["requests"] == 12, view
        yield lab_server, url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        if process.stdout is not None:
            process.stdout.close()


def _open_model(page: Page) -> Locator:
    panel = page.locator("#jupyter-mlops-sidebar")
    if not panel.is_visible():
        page.locator('.jp-SideBar [data-id="jupyter-mlops-sidebar"]').click()
    panel.get_by_role("tab", name="Models").click()
    panel.locator(f'[data-model="{MODEL}"] .jp-mlops-card-head').click()
    return panel


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_the_served_version_shows_its_server_and_traffic(
    served: tuple[LabServer, str], page: Page, theme: str
) -> None:
    lab, url = served
    open_lab(page, lab)
    command(page, "apputils:change-theme", {"theme": theme})
    panel = _open_model(page)
    width = panel.bounding_box()["width"]  # type: ignore[index]
    assert 240 <= width <= 300, width  # JupyterLab's default sidebar, not widened

    for part in ("v1", "production", "ago"):  # the version's own line, nothing cut
        name = panel.locator('[data-version="1"] > .jp-mlops-row-line').first.get_by_text(part)
        expect(name).to_be_visible()
        shown, full = name.evaluate("el => [el.clientWidth, el.scrollWidth]")
        assert shown >= full, f"{part!r} is cut: {shown} of {full} px"
    line = panel.locator('[data-version="1"] .jp-mlops-serving')
    expect(line).to_have_attribute("data-serving", "up")
    expect(line.locator(".jp-mlops-badge-serving")).to_have_text("serving")
    server = line.locator(f'[data-server="{url}"]')
    expect(server).to_contain_text(url.removeprefix("http://"))
    shown, full = server.evaluate("el => [el.clientWidth, el.scrollWidth]")
    assert shown >= full, f"the server's address is cut: {shown} of {full} px"
    traffic = line.locator("[data-traffic]")
    expect(traffic).to_have_attribute("data-traffic", "12")
    expect(traffic).to_contain_text(re.compile(r"p50 \d+(\.\d)? ms"))
    expect(traffic).to_contain_text(re.compile(r"p99 \d+(\.\d)? ms"))
    expect(traffic).to_contain_text(re.compile(r"last \d+ (s|min) ago"))
    # Version 2 is registered but nothing serves it: no serving line.
    expect(panel.locator('[data-version="2"]')).to_be_visible()
    expect(panel.locator('[data-version="2"] .jp-mlops-serving')).to_have_count(0)
    suffix = "dark" if theme.endswith("Dark") else "light"
    save_screenshot(page, f"sidebar-models-serving-{suffix}")
