"""A pipeline step's run reproduces through its executed cells and injected parameters."""

from __future__ import annotations

import nbformat
import pytest

from jupyter_mlops import get_run
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.pipelines import load, run_pipeline
from jupyter_mlops.pipelines.progress import NullProgress
from jupyter_mlops.services import project
from jupyter_mlops.services.reproduce import reproduce
from jupyter_mlops.services.schema.reproduce import ReproduceRequest
from tests.reproduce.conftest import write_data

SPEC = """\
name: repro
steps:
  train: {notebook: train.ipynb, params: {C: 1.0}, gate: "reproducible(tolerance=1e-6)"}
"""


def _notebook(path, *cells: str) -> None:
    nb = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell(cells[0])
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, *(nbformat.v4.new_code_cell(c) for c in cells[1:])]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def test_step_run_reproduces_with_its_parameters_and_the_gate_reads_the_certificate(
    store_dir,
) -> None:
    write_data(store_dir)
    _notebook(
        store_dir / "train.ipynb",
        "C = 1.0",
        "import pandas as pd\nfrom sklearn.linear_model import LogisticRegression",
        "df = pd.read_csv('data/train.csv')\n"
        "X, y = df.drop(columns=['target']).to_numpy(), df['target'].to_numpy()",
        "model = LogisticRegression(C=C, max_iter=5000).fit(X, y)\nacc = model.score(X, y)",
    )
    (store_dir / "pipeline.yaml").write_text(SPEC)

    first = run_pipeline("pipeline.yaml", params=["train.C=0.5"], progress=NullProgress())
    step = first.steps["train"]
    assert step.status == "failed"  # the gate: no certificate yet
    assert "no reproducibility certificate" in step.error_line()

    report = reproduce(project.store(), ReproduceRequest(target=step.run_id))

    assert report.verdict == "reproduced", report.message
    executed = [c.source for c in get_run(report.reproduction_run_id).cells]
    # papermill's injected-parameters cell runs; the defaults cell it overrides is dropped
    assert "C = 0.5" in executed[0]
    assert not any("C = 1.0" in source for source in executed)
    again = run_pipeline("pipeline.yaml", params=["train.C=0.5"], progress=NullProgress())
    assert again.steps["train"].status in ("ok", "cached"), again.steps["train"].error_line()


def test_pipeline_gate_spellings(store_dir) -> None:
    _notebook(store_dir / "t.ipynb", "x = 1")
    spec = store_dir / "pipeline.yaml"
    spec.write_text("name: g\nsteps:\n  t: {notebook: t.ipynb, gate: reproducible}\n")
    assert load(spec).steps["t"].gate == "reproducible"
    spec.write_text("name: g\nsteps:\n  t: {notebook: t.ipynb, gate: 'reproducible(nope)'}\n")
    with pytest.raises(MlopsUsageError, match="reproducible\\(tolerance=1e-6\\)"):
        load(spec)
