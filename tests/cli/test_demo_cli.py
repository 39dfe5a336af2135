"""``jupyter-mlops demo``: where it runs and what it refuses (the demo itself: tests/docs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_mlops.cli.demo import lifecycle as demo
from jupyter_mlops.cli.demo.lifecycle import NOTEBOOKS, find_examples, prepare_folder


def test_non_empty_folder_is_refused_with_exit_2(project, cli) -> None:
    target = project / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    result = cli("demo", "--dir", str(target))
    assert result.code == 2
    assert "is not empty" in result.err and "--force" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]  # nothing copied


def test_default_folder_is_refused_when_not_empty(project, cli) -> None:
    (project / "mlops-demo").mkdir()
    (project / "mlops-demo" / "x").write_text("")
    result = cli("demo")
    assert result.code == 2 and "mlops-demo is not empty" in result.err


def test_a_file_is_refused(project, cli) -> None:
    (project / "file").write_text("")
    result = cli("demo", "--dir", "file")
    assert result.code == 2 and "is a file" in result.err


def test_prepare_copies_the_shipped_examples_into_a_project_of_their_own(
    tmp_path: Path,
) -> None:
    assert find_examples() is not None
    target = prepare_folder(tmp_path / "demo")
    for name in (*NOTEBOOKS, "pipeline/pipeline.yaml"):
        assert (target / name).is_file(), name
    assert (target / ".mlops").is_dir()


def test_leftovers_of_an_earlier_run_are_not_copied(tmp_path: Path) -> None:
    source = tmp_path / "examples"
    (source / "output").mkdir(parents=True)
    (source / "output" / "old.ipynb").write_text("{}")
    (source / "01.ipynb").write_text("{}")
    target = prepare_folder(tmp_path / "demo", source=source)
    assert (target / "01.ipynb").is_file()
    assert not (target / "output").exists()


def test_force_copies_into_a_non_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    prepare_folder(target, force=True)
    assert (target / "keep.txt").read_text() == "mine"
    assert (target / NOTEBOOKS[0]).is_file()


def test_without_the_examples_it_says_to_use_a_checkout(
    project, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As installed from a wheel built without the examples: neither place holds them.
    monkeypatch.setattr(demo, "packaged_examples", lambda: tmp_path / "absent")
    monkeypatch.setattr(demo, "examples_dir", lambda: tmp_path / "absent")
    result = cli("demo", "--dir", "fresh")
    assert result.code == 2 and "source checkout" in result.err
    assert not (project / "fresh").exists()
