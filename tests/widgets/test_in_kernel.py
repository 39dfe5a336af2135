"""Panels in a real kernel: papermill's saved notebook and nbconvert's HTML show the content.

A notebook opened without its kernel has no widget state, so what a reader sees is the
``text/html`` each panel puts next to its widget view; this checks it is really there.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
from nbconvert import HTMLExporter

CELLS = [
    """
import numpy as np, pandas as pd
import jupyter_mlops as mlops
for i, auc in enumerate([0.71, 0.93]):
    with mlops.start_run(f"kernel-run-{i}", experiment="churn", params={"C": i}) as run:
        run.log_metric("auc", auc)
rng = np.random.default_rng(0)
report = mlops.monitor.drift(
    pd.DataFrame({"age": rng.normal(40, 5, 300), "plan": rng.choice(["a", "b"], 300)}),
    pd.DataFrame({"age": rng.normal(60, 5, 300), "plan": rng.choice(["a", "b"], 300)}),
)
""",
    "table = mlops.widgets.runs()\ntable",
    "mlops.widgets.drift(report)",
    '%load_ext jupyter_mlops\n%mlops runs --filter "metrics.auc > 0.9"',
    # Driven through its state in the kernel, as the filter box and the sort buttons would.
    "table.filter.value = \"params.C = '0'\"\ntable.direction.value = 'asc'\ntable",
    "result = %mlops pipeline run pipeline.yaml",
]


def _html_of(cell: dict) -> str:
    [out] = [o for o in cell["outputs"] if o["output_type"] in ("execute_result", "display_data")]
    assert "application/vnd.jupyter.widget-view+json" in out["data"]  # live in a notebook
    return str(out["data"]["text/html"])


def test_saved_notebook_and_nbconvert_show_rows_and_verdicts(store_dir: Path) -> None:
    step = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    step.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(step, store_dir / "step.ipynb")
    (store_dir / "pipeline.yaml").write_text("name: nb\nsteps:\n  only: {notebook: step.ipynb}\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, store_dir / "panels.ipynb")
    papermill.execute_notebook(
        str(store_dir / "panels.ipynb"),
        str(store_dir / "panels.out.ipynb"),
        kernel_name="python3",
        cwd=str(store_dir),
        progress_bar=False,
        execution_timeout=120,
    )
    saved = nbformat.read(store_dir / "panels.out.ipynb", as_version=4)
    runs = _html_of(saved.cells[1])
    assert "kernel-run-0" in runs and "kernel-run-1" in runs and "mlops-finished" in runs
    drift = _html_of(saved.cells[2])
    assert "<td>age</td>" in drift and '<span class="yes">drift</span>' in drift
    filtered = _html_of(saved.cells[3])
    assert "kernel-run-1" in filtered and "kernel-run-0" not in filtered
    driven = _html_of(saved.cells[4])
    assert "kernel-run-0" in driven and "kernel-run-1" not in driven
    assert "sorted by start_time asc" in driven
    # The pipeline panel's display was updated in place: the saved notebook has the end state.
    progress = _html_of(saved.cells[5])
    assert "pipeline nb" in progress and progress.count("mlops-ok") >= 2
    assert 'only.ipynb" target="_blank"' in progress

    # papermill saved the widget state: nbconvert embeds it for the widget HTML manager,
    # and the runs table is in it (the HTML widget's value).
    assert "application/vnd.jupyter.widget-state+json" in saved.metadata["widgets"]
    page, _ = HTMLExporter().from_notebook_node(saved)
    assert "kernel-run-0" in page and "mlops-runs-table" in page
    # Without widget state (JupyterLab does not save it by default), nbconvert falls back to
    # each panel's static HTML: the real table and report, not a widget placeholder.
    del saved.metadata["widgets"]
    page, _ = HTMLExporter().from_notebook_node(saved)
    assert "Loading widget" not in page
    for text in ("kernel-run-0", "kernel-run-1", "<td>age</td>", '<span class="yes">drift</span>'):
        assert text in page, text
