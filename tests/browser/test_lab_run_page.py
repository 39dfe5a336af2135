"""The run page (issues 19 and 20): what a run ran and on what, a note, previews, proof.

A notebook trained a model on a registered dataset and logged a plot, an HTML report, a CSV
sample and JSON scores; its model was registered. A person opens the run from the sidebar:
the tab is titled by the run's name, the captured cells are listed and open the notebook at
their cell, the artifacts preview inline (the report sandboxed: its script never runs), a
note is written and is still there after a reload, Reproduce re-executes the cells in a
clean kernel and certifies the run, and the links lead to the model version (with its
signature), back to the run, and to the dataset version it was trained on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import LabServer, command, open_lab, save_screenshot

REPRODUCE_MS = 240_000

SEED = r"""
import json, os
from pathlib import Path

import nbformat
import papermill
from sklearn.datasets import load_breast_cancer

import jupyter_mlops as mlops

Path("data").mkdir(exist_ok=True)
load_breast_cancer(as_frame=True).frame.to_csv("data/train.csv", index=False)
mlops.data.add("data/train.csv", "cancer")

CELLS = [
    "%load_ext jupyter_mlops",
    "%mlops track page-demo",
    "import jupyter_mlops as mlops\nimport pandas as pd\n"
    "from sklearn.metrics import roc_auc_score\n"
    "from sklearn.model_selection import train_test_split",
    "df = pd.read_csv('data/train.csv')",
    "X = df.drop(columns=['target']).to_numpy()\ny = df['target'].to_numpy()\n"
    "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)",
    "from sklearn.linear_model import LogisticRegression\n"
    "model = LogisticRegression(max_iter=5000).fit(X_train, y_train)\n"
    "auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])",
    "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
    "fig, ax = plt.subplots(figsize=(4, 3))\nax.plot([0, 1, 2], [0.2, 0.6, 0.9])\n"
    "fig.savefig('curve.png')\nplt.close(fig)\n"
    "open('report.html', 'w').write('<h1>Evaluation</h1><p>AUC is good.</p>'\n"
    "    '<script>document.body.innerHTML = \"script ran\"</script>')\n"
    "df.head(200).to_csv('sample.csv', index=False)\n"
    "open('scores.json', 'w').write('{\"auc\": %s, \"folds\": [1, 2, 3]}' % auc)\n"
    "for name in ('curve.png', 'report.html', 'sample.csv', 'scores.json'):\n"
    "    mlops.log_artifact(name)",
    "%mlops stop",
]
nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nbformat.write(nb, "train.ipynb")
# The kernel papermill starts inherits this: the run records its notebook.
os.environ["MLOPS_NOTEBOOK"] = os.path.abspath("train.ipynb")
papermill.execute_notebook(
    "train.ipynb", "train.ipynb", kernel_name="python3", cwd=".", progress_bar=False
)
run = mlops.get_run("page-demo")
mlops.models.register(run.id, "cancer-model")
print(json.dumps({"run": run.id}))
"""


@pytest.fixture(scope="module")
def seeded(lab_server: LabServer) -> Iterator[tuple[LabServer, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run(
        [sys.executable, "-c", SEED],
        cwd=lab_server.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,  # a kernel start and a model fit on two loaded cores
        check=False,
    )
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout.strip().splitlines()[-1])["run"]
    yield lab_server, run_id


def open_run(
    page: Page, server: LabServer, run_id: str, theme: str = "JupyterLab Light"
) -> Locator:
    open_lab(page, server)
    command(page, "apputils:change-theme", {"theme": theme})
    command(page, "jupyter-mlops:open-run", {"runId": run_id})
    run_page = page.locator(f'.jp-mlops-run-page[data-run-id="{run_id}"]')
    expect(run_page).to_be_visible()
    return run_page


def current_tab(page: Page) -> Locator:
    return page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")


def artifact(run_page: Locator, path: str) -> Locator:
    return run_page.locator(f'.jp-mlops-artifact[data-artifact="{path}"]')


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_the_run_page_shows_cells_provenance_and_previews(
    seeded: tuple[LabServer, str], page: Page, theme: str
) -> None:
    server, run_id = seeded
    run_page = open_run(page, server, run_id, theme)
    # The tab is named after the run, not its id.
    expect(current_tab(page)).to_have_text("page-demo")
    cells = run_page.locator(".jp-mlops-cell")
    expect(cells.filter(has_text="LogisticRegression(max_iter=5000)")).to_have_count(1)
    expect(run_page.locator('[data-provenance="python"]')).to_contain_text(
        f"{sys.version_info.major}.{sys.version_info.minor}"
    )
    expect(run_page.locator('[data-provenance="packages"]')).to_contain_text("ipykernel")
    expect(run_page.locator('[data-input="data/train.csv"]')).to_contain_text("cancer v1")

    png = artifact(run_page, "curve.png").locator("img.jp-mlops-preview-image")
    expect(png).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=png.element_handle())
    html = artifact(run_page, "report.html").locator("iframe.jp-mlops-preview-html")
    expect(html).to_have_attribute("sandbox", "")
    report = html.content_frame
    expect(report.locator("h1")).to_have_text("Evaluation")
    expect(report.locator("body")).not_to_contain_text("script ran")  # no scripts run
    table = artifact(run_page, "sample.csv").locator("table.jp-mlops-preview-table")
    expect(table.locator("thead th").first).to_have_text("mean radius")
    expect(table.locator("tbody tr")).to_have_count(50)  # the first rows, not the file
    expect(artifact(run_page, "sample.csv")).to_contain_text("First 50 rows.")
    expect(artifact(run_page, "scores.json").locator("pre")).to_contain_text('"folds": [')
    links = run_page.locator(".jp-mlops-run-links")
    expect(links).to_contain_text("This run produced models:/cancer-model/1")
    expect(links).to_contain_text("Trained on dataset cancer v1")
    light = "light" if theme.endswith("Light") else "dark"
    save_screenshot(page, f"run-page-{light}")
    run_page.get_by_role("heading", name="Artifacts").evaluate(
        "h => h.scrollIntoView({block: 'start'})"
    )
    save_screenshot(page, f"run-page-previews-{light}")


def test_a_cell_opens_its_notebook_at_that_cell_and_the_executed_one_read_only(
    seeded: tuple[LabServer, str], page: Page
) -> None:
    server, run_id = seeded
    run_page = open_run(page, server, run_id)
    cell = run_page.locator(".jp-mlops-cell").filter(has_text="model = LogisticRegression")
    cell.get_by_role("button", name="Open at this cell").click()
    active = page.locator(".jp-NotebookPanel:visible .jp-Cell.jp-mod-active")
    expect(active).to_contain_text("model = LogisticRegression(max_iter=5000)")
    expect(current_tab(page)).to_have_text("train.ipynb")

    command(page, "jupyter-mlops:open-run", {"runId": run_id})
    run_page.get_by_role("button", name="View executed notebook (read-only)").click()
    shown = page.locator(f'[data-recorded-notebook="{run_id}"]')
    expect(shown).to_contain_text("read-only")
    expect(shown.locator(".jp-mlops-nb-code")).to_have_count(8)
    expect(shown.locator("textarea, [contenteditable=true]")).to_have_count(0)
    expect(current_tab(page)).to_have_text("page-demo · notebook (read-only)")


def test_a_note_is_written_and_kept_after_a_reload(
    seeded: tuple[LabServer, str], page: Page
) -> None:
    server, run_id = seeded
    run_page = open_run(page, server, run_id)
    run_page.get_by_role("button", name="Add a note").click()
    run_page.get_by_label("Note").fill("**Baseline** for the cancer model\n\n- seed 0 <b>kept</b>")
    run_page.get_by_role("button", name="Save note").click()
    body = run_page.locator(".jp-mlops-note-body")
    expect(body.locator("strong")).to_have_text("Baseline")

    page.reload()
    run_page = open_run(page, server, run_id)
    body = run_page.locator(".jp-mlops-note-body")
    expect(body.locator("strong")).to_have_text("Baseline")
    expect(body.locator("li")).to_have_text("seed 0 <b>kept</b>")  # raw HTML shown as text
    expect(run_page.get_by_role("button", name="Edit note")).to_be_visible()


def test_reproduce_certifies_the_run_and_links_the_reproduction(
    seeded: tuple[LabServer, str], page: Page
) -> None:
    server, run_id = seeded
    run_page = open_run(page, server, run_id)
    run_page.get_by_role("button", name="Reproduce").click()
    expect(run_page.get_by_role("status").filter(has_text="Running")).to_be_visible()
    verdict = run_page.locator(".jp-mlops-outcome[data-verdict]")
    expect(verdict).to_have_attribute("data-verdict", "reproduced", timeout=REPRODUCE_MS)
    expect(verdict).to_contain_text("every metric and model matches the record")
    expect(run_page.locator(".jp-mlops-certificates li")).to_have_count(1)
    save_screenshot(page, "run-page-reproduced")

    verdict.locator("[data-open-run]").click()
    copy = page.locator(".jp-mlops-run-page").filter(has_text="Reproduction of")
    expect(copy).to_be_visible()
    copy.locator('[data-link="reproduces"] button').click()
    expect(page.locator(f'.jp-mlops-run-page[data-run-id="{run_id}"]')).to_be_visible()


def test_registry_links_lead_to_the_model_version_and_the_dataset(
    seeded: tuple[LabServer, str], page: Page
) -> None:
    server, run_id = seeded
    run_page = open_run(page, server, run_id)
    run_page.get_by_role("button", name="models:/cancer-model/1").click()
    detail = page.locator('#jupyter-mlops-sidebar [data-version-detail="1"]')
    expect(detail).to_be_visible()
    signature = detail.locator("[data-signature] tr")
    expect(signature).to_have_text("inputsarray of float64, shape [null,30]")
    expect(detail.locator('[data-link="dataset"]')).to_contain_text("cancer v1")
    save_screenshot(page, "run-page-model-version")
    detail.get_by_role("button", name=f"run {run_id[:8]}").click()
    expect(page.locator(f'.jp-mlops-run-page[data-run-id="{run_id}"]')).to_be_visible()

    run_page.locator('[data-link="dataset"]').get_by_role("button", name="cancer v1").click()
    dataset = page.locator('[data-dataset="cancer@1"]')
    expect(dataset).to_contain_text("569 rows")
    expect(dataset.locator("th", has_text="mean radius")).to_have_count(1)
    expect(dataset).to_contain_text("data/train.csv")


def test_bad_input_gets_a_clear_answer(seeded: tuple[LabServer, str]) -> None:
    server, run_id = seeded

    def status(method: str, path: str, body: object = None) -> tuple[int, str]:
        try:
            server.api(method, path, body)
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())["error"]
        return 200, ""

    assert status("GET", "mlops/api/v1/runs/no-such-run/links")[0] == 404
    assert status("GET", "mlops/api/v1/runs/no-such-run/note")[0] == 404
    code, error = status("POST", f"mlops/api/v1/runs/{run_id}/note", {"note": "a\x00b"})
    assert code == 400 and "NUL" in error  # refused before any service runs
    code, error = status("POST", f"mlops/api/v1/runs/{run_id}/note", {"note": "x" * 20_001})
    assert code == 400 and "keep it to 20,000" in error
    code, error = status("GET", f"mlops/api/v1/runs/{run_id}/preview?path=nope.csv")
    assert code == 404 and "no artifact 'nope.csv'" in error
    code, _ = status("GET", f"mlops/api/v1/runs/{run_id}/preview?path=sample.csv&rows=0")
    assert code == 400
