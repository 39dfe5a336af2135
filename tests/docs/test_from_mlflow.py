"""Every ``python mlops`` block of docs/from-mlflow.md runs, in order, in one real kernel."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).parents[2]
GUIDE = ROOT / "docs" / "from-mlflow.md"
BLOCK = re.compile(r"^```python mlops\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def test_guide_snippets_run_against_the_real_api(store_dir: Path) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    blocks = BLOCK.findall(text)
    assert len(blocks) >= 12, "the guide lost its executable examples"
    assert text.count("```python mlflow") >= 6  # each MLflow side has ours beside it
    shutil.copytree(
        ROOT / "example_notebooks" / "pipeline",
        store_dir / "pipeline",
        ignore=shutil.ignore_patterns("data", "models", "mlops-runs"),
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(b) for b in blocks])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    NotebookClient(
        nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(store_dir)}}
    ).execute()  # raises CellExecutionError naming the block that failed
    out = "".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for cell in nb.cells
        for o in cell.outputs
    )
    assert "refused: metrics.roc_auc >= 0.9999" in out or "failed: metrics.roc_auc" in out
    assert "✓ run tracked-cell (" in out  # the %%mlops track block captured the cell
    assert "[(0, 0.9), (1, 0.5), (2, 0.3)]" in out
    assert "{'prepare': 'run', 'train': 'run', 'evaluate': 'run', 'register': 'run'}" in out


def test_guide_covers_the_common_mlflow_calls() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    calls = [
        "set_tracking_uri", "set_experiment", "start_run", "log_param(", "log_params",
        "log_metric(", "log_metrics", "set_tag", "log_artifact", "log_figure", "log_text",
        "sklearn.autolog", "log_input", "search_runs", "register_model",
        "transition_model_version_stage", "set_registered_model_alias", "load_model",
        "MlflowClient", "get_metric_history", "search_model_versions", "mlflow ui", "mlflow run",
    ]  # fmt: skip
    missing = [call for call in calls if call not in text]
    assert not missing, f"docs/from-mlflow.md lost the MLflow calls {missing}"
