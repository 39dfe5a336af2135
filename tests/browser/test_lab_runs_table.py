"""The runs table in the main area (issue 19) and child runs under their parent (issue 16).

A person opens it from the sidebar at its default width, picks an experiment, sorts by a
metric, adds a tag column, widens a column, opens a search to see its candidates, selects two
and compares them, tags them, completes a key in the filter box; and pages through 100,000
runs, each page read from the server as it is shown.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, Route, expect

from .conftest import LabServer, command, open_lab, project_python, save_screenshot

N_SWEEP = 100_000
TRIALS = 12

SEED = f"""
import jupyter_mlops as mlops

with mlops.start_run("grid-search", experiment="tuning", params={{"cv": 5}}) as search:
    search.log_metric("auc", 0.95)
    search.set_tag("owner", "ana")
for i in range({TRIALS}):
    with mlops.start_run(f"trial-{{i:02d}}", experiment="tuning", parent=search,
                         params={{"C": 0.1 * (i + 1)}}) as trial:
        trial.log_metric("auc", 0.70 + i * 0.02)
with mlops.start_run("pipeline", experiment="tuning") as pipe:
    pipe.set_tag("owner", "bo")
for step in ("prepare", "train", "evaluate"):
    with mlops.start_run(step, experiment="tuning", parent=pipe):
        pass
with mlops.start_run("baseline", experiment="tuning", params={{"C": 1.0}}) as base:
    base.log_metric("auc", 0.61)
    base.set_tag("owner", "cy")
"""

# 100,000 runs written in a few statements (as test_lab_scale.py does): tracking them one by
# one would take many minutes and is not what these tests are about.
BULK = f"""
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
now = time.time() - 10 * {N_SWEEP}
runs, metrics = [], []
with store.write() as conn:
    experiment_id = q.get_or_create_experiment(conn, "sweep")
    for i in range({N_SWEEP}):
        run_id = uuid.uuid4().hex
        start = now + i
        runs.append(dict(id=run_id, name=f"sweep-{{i}}", experiment_id=experiment_id,
                         status="finished", start_time=start, end_time=start + 1,
                         heartbeat=start + 1, user_name="ana", host=q.HOST, pid=os.getpid()))
        metrics.append(dict(run_id=run_id, key="auc", step=0, value=rng.random(),
                            is_nan=False, timestamp=start))
    conn.execute(insert(t.runs), runs)
    insert_point_rows(conn, metrics)
    conn.execute(insert(t.latest_metrics), metrics)
store.close()
"""


@pytest.fixture(scope="module")
def seeded(lab_server: LabServer) -> Iterator[LabServer]:
    project_python(lab_server, SEED)
    project_python(lab_server, BULK)
    yield lab_server


def open_table(page: Page, server: LabServer, theme: str = "JupyterLab Light") -> Locator:
    """Open the lab, the MLOps sidebar at its default width, and the runs table from it."""
    open_lab(page, server)
    command(page, "apputils:change-theme", {"theme": theme})
    page.locator('.jp-SideBar [data-id="jupyter-mlops-sidebar"]').click()
    sidebar = page.locator("#jupyter-mlops-sidebar")
    sidebar.get_by_role("button", name="Open runs table").click()
    table = page.locator(".jp-mlops-runs-table")
    expect(table).to_be_visible()
    return table


def pick(table: Locator, experiment: str) -> None:
    picker = table.get_by_label("Experiment", exact=True)
    expect(picker.locator(f'option[value="{experiment}"]')).to_have_count(1)
    picker.select_option(value=experiment)


def names(table: Locator) -> list[str]:
    return [t.strip() for t in table.locator("tbody .jp-mlops-run-link").all_inner_texts()]


def row(table: Locator, name: str) -> Locator:
    return table.locator("tbody tr.jp-mlops-grid-row").filter(
        has=table.page.get_by_role("button", name=name, exact=True)
    )


def test_a_person_sorts_chooses_columns_expands_compares_and_tags(
    seeded: LabServer, page: Page
) -> None:
    table = open_table(page, seeded)
    pick(table, "tuning")
    # Top-level runs only: the trials and steps wait under their parents.
    expect(table.locator("tbody tr.jp-mlops-grid-row")).to_have_count(3)
    assert names(table) == ["baseline", "pipeline", "grid-search"]  # newest first
    expect(row(table, "grid-search").locator(".jp-mlops-tree-toggle")).to_have_text(f"▸ {TRIALS}")

    # Sort: a click on the metric's header sorts by it (best first), a second click flips it.
    auc = table.locator('thead th[data-column="metrics.auc"]')
    auc.get_by_role("button").click()
    expect(auc).to_have_attribute("aria-sort", "descending")
    expect(table.locator("tbody .jp-mlops-run-link").first).to_have_text("grid-search")
    auc.get_by_role("button").click()
    expect(auc).to_have_attribute("aria-sort", "ascending")
    expect(table.locator("tbody .jp-mlops-run-link").first).to_have_text("baseline")
    # Runs without the metric stay last either way.
    assert names(table)[-1] == "pipeline"

    # Choose a tag column; it shows each run's tag.
    table.get_by_role("button", name=re.compile(r"^Columns")).click()
    chooser = table.get_by_role("dialog", name="Columns")
    chooser.get_by_label("owner", exact=True).check()
    chooser.get_by_role("button", name="Done").click()
    owner = table.locator('thead th[data-column="tags.owner"]')
    expect(owner).to_be_visible()
    expect(row(table, "pipeline").locator("td").last).to_have_text("bo")

    # Widen the auc column by dragging its edge.
    before = auc.bounding_box()
    handle = auc.locator(".jp-mlops-col-resize").bounding_box()
    assert before is not None and handle is not None
    page.mouse.move(handle["x"] + 2, handle["y"] + 5)
    page.mouse.down()
    page.mouse.move(handle["x"] + 82, handle["y"] + 5, steps=4)
    page.mouse.up()
    after = auc.bounding_box()
    assert after is not None and after["width"] > before["width"] + 60

    # Open the search: its trials show indented under it, sorted as the table is.
    row(table, "grid-search").locator(".jp-mlops-tree-toggle").click()
    children = table.locator('tbody tr[data-depth="1"]')
    expect(children).to_have_count(TRIALS)
    expect(children.first.locator(".jp-mlops-run-link")).to_have_text("trial-00")  # auc asc
    parent_box = row(table, "grid-search").locator(".jp-mlops-run-link").bounding_box()
    child_box = children.first.locator(".jp-mlops-run-link").bounding_box()
    assert parent_box is not None and child_box is not None
    assert child_box["x"] > parent_box["x"] + 10, "child runs are not indented"
    save_screenshot(page, "runs-table-light")

    # Select two trials and compare them.
    for name in ("trial-03", "trial-07"):
        table.get_by_label(f"Select {name}", exact=True).check()
    expect(table.locator(".jp-mlops-selection")).to_have_text("2 runs selected")
    table.get_by_role("button", name="Compare", exact=True).click()
    compare = page.locator(".jp-mlops-compare")
    expect(compare).to_be_visible()
    expect(compare.locator("h2")).to_have_text("Comparing 2 runs")
    expect(compare.locator('tr[data-param="C"]')).to_have_class(re.compile("jp-mlops-differs"))
    # Each trial logged its auc once: the chart shows two dots, not empty axes.
    frame = compare.locator(".jp-mlops-curve-frame[data-draw-ms]")
    expect(frame.locator(".jp-mlops-curve-chart")).to_have_attribute("data-series", "2")
    assert _coloured_pixels(frame.locator("canvas").first) > 20, "the runs' points are not drawn"
    save_screenshot(page, "runs-compare-light")

    # Back in the table: tag both.
    page.locator(".lm-TabBar-tab", has_text=re.compile(r"^Runs$")).click()
    table.get_by_role("button", name="Tag…").click()
    table.get_by_label("Tags to set").fill("review=keep")
    table.get_by_role("button", name="Set tags").click()
    expect(table.locator(".jp-mlops-message")).to_have_text("Tagged 2 runs with review=keep.")
    tagged = seeded.api("GET", "mlops/api/v1/runs?filter=tags.review%20%3D%20'keep'")
    assert sorted(r["name"] for r in tagged["items"]) == ["trial-03", "trial-07"]


def test_the_filter_box_completes_keys_and_takes_order_by(seeded: LabServer, page: Page) -> None:
    table = open_table(page, seeded)
    pick(table, "tuning")
    box = table.get_by_label("Filter runs")
    box.click()
    box.press_sequentially("metrics.a")
    completions = table.get_by_role("listbox", name="Completions")
    expect(completions.get_by_role("option", name="metrics.auc")).to_be_visible()
    box.press("Tab")
    expect(box).to_have_value("metrics.auc")
    box.press_sequentially(" > 0.91 order by metrics.auc desc")
    box.press("Enter")
    # A filter searches every run, the trials too, flat and in the order asked.
    expect(table.locator("tbody tr.jp-mlops-grid-row")).to_have_count(2)
    assert names(table) == ["grid-search", "trial-11"]

    box.fill("metrics.auc >")
    box.press("Enter")
    expect(table.locator(".jp-mlops-error")).to_contain_text("filter")


def test_keys_that_arrive_while_typing_complete_what_is_typed(
    seeded: LabServer, page: Page
) -> None:
    # The store is slow to list its keys: the user types before they arrive.
    held: list[Route] = []
    page.route("**/mlops/api/v1/runs/keys**", lambda route: held.append(route))
    table = open_table(page, seeded)
    box = table.get_by_label("Filter runs")
    box.click()
    box.press_sequentially("metrics.a")
    completions = table.get_by_role("listbox", name="Completions")
    expect(completions).to_have_count(0)
    assert held, "the table asked for the store's keys"
    for route in held:
        route.continue_()
    page.unroute("**/mlops/api/v1/runs/keys**")
    expect(completions.get_by_role("option", name="metrics.auc")).to_be_visible()
    expect(box).to_be_focused()


def test_delete_hides_a_run_until_it_is_restored(seeded: LabServer, page: Page) -> None:
    table = open_table(page, seeded)
    pick(table, "tuning")
    expect(table.locator("tbody tr.jp-mlops-grid-row")).to_have_count(3)
    table.get_by_label("Select baseline", exact=True).check()
    table.get_by_role("button", name="Delete", exact=True).click()
    expect(table.locator(".jp-mlops-message")).to_have_text("Deleted 1 run.")
    expect(table.locator("tbody tr.jp-mlops-grid-row")).to_have_count(2)
    assert "baseline" not in names(table)
    assert seeded.api("GET", "mlops/api/v1/runs?filter=name%20%3D%20'baseline'")["total"] == 0

    table.get_by_label("Show deleted").check()
    deleted = row(table, "baseline")
    expect(deleted).to_have_attribute("data-deleted", "true")
    expect(deleted.locator(".jp-mlops-badge")).to_have_text("deleted")
    save_screenshot(page, "runs-table-deleted-light")
    deleted.get_by_label("Select baseline", exact=True).check()
    table.get_by_role("button", name="Restore", exact=True).click()
    expect(table.locator(".jp-mlops-message")).to_have_text("Restored 1 run.")
    expect(row(table, "baseline")).to_have_attribute("data-deleted", "false")
    table.get_by_label("Show deleted").uncheck()
    expect(table.locator("tbody tr.jp-mlops-grid-row")).to_have_count(3)


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_child_runs_show_under_their_parent_in_the_sidebar(
    seeded: LabServer, page: Page, theme: str
) -> None:
    open_lab(page, seeded)
    command(page, "apputils:change-theme", {"theme": theme})
    page.locator('.jp-SideBar [data-id="jupyter-mlops-sidebar"]').click()
    sidebar = page.locator("#jupyter-mlops-sidebar")
    sidebar.get_by_label("Filter runs").fill("experiment = 'tuning' and parent_id is null")
    sidebar.get_by_label("Filter runs").press("Enter")
    expect(sidebar.locator(".jp-mlops-run")).to_have_count(3)
    # A filter lists matches flat; cleared, the list is the tree again (top-level runs).
    sidebar.get_by_title("Clear the filter").click()
    search = sidebar.locator(".jp-mlops-run", has_text="grid-search")
    toggle = search.get_by_role("button", name=re.compile(r"child runs"))
    expect(toggle).to_have_text(f"▸ {TRIALS} child runs")
    assert sidebar.locator(".jp-mlops-run", has_text="trial-03").count() == 0
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    under = sidebar.locator(".jp-mlops-child-run")
    expect(under).to_have_count(TRIALS)
    search_box = search.bounding_box()
    child_box = under.first.locator(".jp-mlops-run-name").bounding_box()
    assert search_box is not None and child_box is not None
    assert child_box["y"] > search_box["y"], "children come after their parent"
    assert child_box["x"] > search_box["x"] + 10, "children are indented"
    width = sidebar.bounding_box()
    assert width is not None and width["width"] < 400  # the default width
    tail = "dark" if theme.endswith("Dark") else "light"
    save_screenshot(page, f"runs-sidebar-tree-{tail}")
    if tail == "dark":
        sidebar.get_by_role("button", name="Open runs table").click()
        table = page.locator(".jp-mlops-runs-table")
        pick(table, "tuning")
        row(table, "grid-search").locator(".jp-mlops-tree-toggle").click()
        expect(table.locator('tbody tr[data-depth="1"]')).to_have_count(TRIALS)
        save_screenshot(page, "runs-table-dark")


def test_one_hundred_thousand_runs_page_by_page(seeded: LabServer, page: Page) -> None:
    table = open_table(page, seeded)
    first = table.locator("tbody .jp-mlops-run-link").first
    expect(first).to_be_visible()

    started = time.perf_counter()
    pick(table, "sweep")
    expect(first).to_have_text(f"sweep-{N_SWEEP - 1}")
    first_page = time.perf_counter() - started
    expect(table.locator(".jp-mlops-range")).to_have_text(f"1\u2013100 of {N_SWEEP:,}")
    assert table.locator("tbody tr").count() == 100  # one page in the page, not 100,000 rows

    started = time.perf_counter()
    table.get_by_label("Page", exact=True).fill("500")
    table.get_by_label("Page", exact=True).press("Enter")
    expect(first).to_have_text(f"sweep-{N_SWEEP - 1 - 499 * 100}")
    page_500 = time.perf_counter() - started

    started = time.perf_counter()
    table.get_by_label("Page", exact=True).fill(str(N_SWEEP // 100))
    table.get_by_label("Page", exact=True).press("Enter")
    expect(table.locator("tbody .jp-mlops-run-link").last).to_have_text("sweep-0")
    last_page = time.perf_counter() - started
    print(
        f"{N_SWEEP:,} runs: first page {first_page * 1000:.0f} ms, page 500 "
        f"{page_500 * 1000:.0f} ms, last page {last_page * 1000:.0f} ms"
    )
    save_screenshot(page, "runs-table-100000")
    # Speed is measured by benchmarks (figures in the issue note); these bounds only catch a
    # table that fetches every run instead of one page, generous for two shared CI cores.
    assert first_page < 5.0, f"first page took {first_page:.2f} s"
    assert page_500 < 5.0, f"page 500 took {page_500:.2f} s"
    assert last_page < 5.0, f"the last page took {last_page:.2f} s"


def _coloured_pixels(canvas: Locator) -> int:
    """Pixels of a chart in a series colour (axes, grid and text are grey)."""
    hsv = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("HSV"))
    return int(((hsv[..., 1] > 80) & (hsv[..., 2] > 60)).sum())
