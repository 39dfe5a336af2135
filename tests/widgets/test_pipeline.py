"""Pipeline progress: the DAG with live states, durations and output notebook links."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

import jupyter_mlops as mlops
from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.pipelines.progress import PipelineStart, StepEvent
from jupyter_mlops.pipelines.runner import run_pipeline
from jupyter_mlops.store import Store
from jupyter_mlops.widgets.pipeline import PipelinePanel, levels


def test_states_change_live_and_the_dag_has_columns() -> None:
    panel = PipelinePanel()
    progress = panel.progress
    progress.start(
        PipelineStart(
            "churn",
            "dev",
            "p" * 32,
            (
                StepEvent("prep", "cached", notebook="runs/prep.ipynb"),
                StepEvent("train", "queued"),
                StepEvent("report", "queued"),
            ),
            {"prep": (), "train": ("prep",), "report": ("prep",)},
        )
    )
    assert levels(panel.state.steps) == [["prep"], ["train", "report"]]
    assert "mlops-cached" in panel.dag.value and "mlops-queued" in panel.dag.value
    assert (panel.env, panel.state.pipeline_run_id) == ("dev", "p" * 32)
    progress.update(StepEvent("train", "running"))
    assert "mlops-running" in panel.table.value
    progress.update(StepEvent("train", "failed", "ValueError: bad C", "runs/train.ipynb"))
    progress.update(StepEvent("report", "skipped", "upstream 'train' failed"))
    assert "ValueError: bad C" in panel.table.value and "mlops-skipped" in panel.table.value
    assert panel.state.steps["train"].duration is not None
    assert "✗ train" in panel.to_text()
    progress.close("failed")  # the output notebooks are linked once the run has ended
    assert panel.state.status == "failed"
    assert [s.notebook for s in panel.state.steps.values()] == [
        "runs/prep.ipynb",
        "runs/train.ipynb",
        None,
    ]


@pytest.fixture
def spec(project: Store, store_dir: Path) -> Path:
    for name in ("prep", "train"):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(f"open('{name}.txt', 'w').write('x')")]
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(nb, store_dir / f"{name}.ipynb")
    path = store_dir / "pipeline.yaml"
    path.write_text(
        "name: two\nsteps:\n"
        "  prep: {notebook: prep.ipynb, outputs: [prep.txt]}\n"
        "  train: {notebook: train.ipynb, needs: [prep], outputs: [train.txt]}\n"
    )
    return path


def test_a_real_run_links_output_notebooks_then_reads_back(spec: Path) -> None:
    with pytest.raises(NotFoundError, match="has not run here yet"):
        mlops.widgets.pipeline(spec)
    panel = PipelinePanel()
    result = run_pipeline(spec, progress=panel.progress)
    assert result.ok
    assert panel.state.status == "ok"
    html = panel.to_html()
    assert html.count("mlops-ok") >= 3  # the pipeline and both steps
    assert 'href="mlops-runs/pipelines/two/' in html and 'prep.ipynb" target="_blank"' in html
    assert all(s.notebook for s in panel.state.steps.values())
    assert panel.state.steps["train"].needs == ("prep",)  # the DAG came with the run
    again = mlops.widgets.pipeline(spec)
    assert again.state.pipeline_run_id == panel.state.pipeline_run_id
    assert not again.auto.active  # nothing runs: no refresh thread
    assert "<td>train</td><td>prep</td>" in again.table.value
