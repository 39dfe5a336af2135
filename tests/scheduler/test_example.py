"""example_notebooks/04_monitoring.ipynb runs end to end (in a copy, with its own store)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import papermill

EXAMPLES = Path(__file__).parents[2] / "example_notebooks"


def test_monitoring_example(store_dir: Path) -> None:
    shutil.copy(EXAMPLES / "04_monitoring.ipynb", store_dir)
    shutil.copytree(
        EXAMPLES / "pipeline",
        store_dir / "pipeline",
        ignore=shutil.ignore_patterns("data", "models", "mlops-runs"),
    )
    out = store_dir / "out.ipynb"
    papermill.execute_notebook(
        str(store_dir / "04_monitoring.ipynb"),
        str(out),
        cwd=str(store_dir),
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
    )
    text = "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for c in nbformat.read(out, as_version=4).cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    assert "'mlops.trigger.status': 'ok'" in text
    assert '"monitor": "breast-cancer-drift"' in text  # the webhook got the alert
    assert "('pipeline_run', 'pipeline breast-cancer ok" in text
    assert "data:image/png;base64," in text or "data:image/png;base64," in _html(out)
    assert (store_dir / "output" / "monitoring" / "drift_timeline.png").is_file()


def _html(path: Path) -> str:
    cells = nbformat.read(path, as_version=4).cells
    return "".join(
        str(o.get("data", {}).get("text/html", "")) for c in cells for o in c.get("outputs", [])
    )
