"""The Runs tab with 10,000 runs: usable within 1 s of opening, and only the rows in view exist."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from .conftest import LabServer, open_lab, project_python, save_screenshot, widen_sidebar

N_RUNS = 10_000

# Rows written straight into the store's tables (as benchmarks/bench_api.py does): tracking
# 10,000 runs one by one would take minutes and is not what this test is about.
SEED = f"""
import os, random, time, uuid
from pathlib import Path
from sqlalchemy import insert
from jupyter_mlops.config import load_config
from jupyter_mlops.store import open_store
from jupyter_mlops.store import runs as q
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.metric_chunks import insert_point_rows

store = open_store(config=load_config(Path.cwd(), environ={{}}))
rng = random.Random(0)
now = time.time() - {N_RUNS}
runs, metrics = [], []
with store.write() as conn:
    experiment_id = q.get_or_create_experiment(conn, "sweep")
    for i in range({N_RUNS}):
        run_id = uuid.uuid4().hex
        start = now + i
        runs.append(dict(id=run_id, name=f"sweep-{{i}}", experiment_id=experiment_id,
                         status="finished", start_time=start, end_time=start + 1,
                         heartbeat=start + 1, user_name="ana", host=q.HOST, pid=os.getpid()))
        for key in ("auc", "loss"):
            metrics.append(dict(run_id=run_id, key=key, step=0, value=rng.random(),
                                is_nan=False, timestamp=start))
    conn.execute(insert(t.runs), runs)
    insert_point_rows(conn, metrics)
    conn.execute(insert(t.latest_metrics), metrics)
store.close()
"""


@pytest.fixture(scope="module")
def many_runs(lab_server: LabServer) -> Iterator[LabServer]:
    project_python(lab_server, SEED)
    yield lab_server


def test_ten_thousand_runs_first_rows_within_one_second_and_list_is_windowed(
    many_runs: LabServer, page: Page
) -> None:
    open_lab(page, many_runs)
    panel = page.locator("#jupyter-mlops-sidebar")
    first_row = panel.locator(".jp-mlops-run").first

    started = time.perf_counter()
    page.locator('.jp-SideBar [data-id="jupyter-mlops-sidebar"]').click()
    expect(first_row).to_be_visible()
    elapsed = time.perf_counter() - started
    print(f"first rows of {N_RUNS} runs painted {elapsed * 1000:.0f} ms after opening the panel")
    assert elapsed < 1.0, f"first paint took {elapsed:.2f} s"

    expect(first_row).to_contain_text(f"sweep-{N_RUNS - 1}")  # newest first
    expect(panel.locator(".jp-mlops-count")).to_have_text(f"{N_RUNS} runs")
    rendered = panel.locator(".jp-mlops-row").count()
    assert rendered < 100, f"{rendered} rows in the page for {N_RUNS} runs: not windowed"
    widen_sidebar(page)
    save_screenshot(page, "runs-10000")

    # Scrolling to the end loads only the last page and shows the oldest run.
    panel.locator(".jp-mlops-viewport").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    oldest = panel.locator(".jp-mlops-run-name", has_text=re.compile(r"^sweep-0$"))
    expect(oldest).to_be_visible()
    assert panel.locator(".jp-mlops-row").count() < 100
