"""The `make demo` summary reads the store; on an empty store it still says what to do next."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_mlops.cli.demo.lifecycle import DemoResult, examples_dir, summary


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
