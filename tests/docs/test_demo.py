"""The `make demo` summary reads the store; on an empty store it still says what to do next."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops.cli.demo.lifecycle import DemoResult, examples_dir, serve_step, summary


def test_summary_of_an_empty_store(store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary(DemoResult(examples_dir(), seconds=1.0))
    out = capsys.readouterr().out
    assert "Done in 1 s." in out
    assert "(none)" in out and "no monitoring run found" in out
    assert "`make lab`" in out


def test_summary_of_a_demo_folder_says_how_to_open_it(
    store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `jupyter-mlops demo --dir D` runs outside the checkout, where there is no Makefile.
    summary(DemoResult(store_dir / "mlops-demo", seconds=1.0))
    out = capsys.readouterr().out
    assert "`make lab`" not in out
    assert f"cd {store_dir / 'mlops-demo'} && jupyter lab" in out


def test_demo_runs_the_shipped_examples() -> None:
    folder = examples_dir()
    for name in ("01_track_experiments.ipynb", "04_monitoring.ipynb", "pipeline/pipeline.yaml"):
        assert (folder / name).is_file(), name


def test_the_serving_step_serves_production_and_checks_drift_on_its_traffic(
    store_dir: Path,
) -> None:
    assert serve_step(store_dir)[0].startswith("  not served: No registered model")
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    with mlops.start_run() as run:
        run.log_model(LogisticRegression(max_iter=5000).fit(X, y), "model", input_example=X[:3])
    mlops.models.register(run.id, "breast-cancer")
    mlops.models.promote("breast-cancer", 1, to="production", checks=["version >= 1"])
    served, drift = serve_step(store_dir)
    assert "models:/breast-cancer/1 answered 10 requests of 10 rows at http://127.0.0.1:" in served
    assert served.endswith("following models:/breast-cancer@production; stopped")
    assert "drift of the logged traffic against the breast cancer data: no drift" in drift


def test_a_notebook_the_demo_executes_prints_only_the_demos_lines(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import nbformat

    from jupyter_mlops.cli.demo.lifecycle import _notebook

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1 + 1")])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, tmp_path / "tiny.ipynb")
    _notebook(tmp_path, "tiny.ipynb")
    out, err = capfd.readouterr()
    # ipykernel warns on stderr about a kernel reached over TCP; the demo's kernels use IPC.
    assert err == ""
    assert out.splitlines()[0] == "▶ tiny.ipynb"
    assert out.splitlines()[1].startswith("  ✓ ")
    assert (tmp_path / "output" / "tiny.ipynb").is_file()
