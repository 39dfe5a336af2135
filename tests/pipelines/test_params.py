"""Step parameters: read from the parameters cell, checked, typed by their defaults."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.pipelines import load
from jupyter_mlops.pipelines.params import notebook_parameters, parse_overrides, parse_text, resolve

PARAMS = """\
C = 1.0
max_iter = 100
cols = ["a"]
name: str = "x"
flag = False
anything = None
computed = len(cols)
"""


def write_notebook(path: Path, params: str = PARAMS) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# hi"), cell, nbformat.v4.new_code_cell("1")]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def pipe(tmp_path: Path):
    write_notebook(tmp_path / "train.ipynb")
    (tmp_path / "pipeline.yaml").write_text(
        "name: p\nsteps:\n  train: {notebook: train.ipynb, params: {C: 2}}\n"
        "environments:\n  dev: {params: {train.max_iter: 5}}\n  bad: {params: {train.C: 'x'}}\n"
        "  typo: {params: {train.D: 1}}\n"
    )
    return load(tmp_path / "pipeline.yaml")


def test_reads_literal_defaults_only(tmp_path: Path) -> None:
    found = notebook_parameters(write_notebook(tmp_path / "n.ipynb"))
    assert found == {
        "C": 1.0,
        "max_iter": 100,
        "cols": ["a"],
        "name": "x",
        "flag": False,
        "anything": None,
    }


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("0.5", 1.0, 0.5),
        ("2", 1.0, 2.0),
        ("3", 1, 3),
        ("[a, b]", ["x"], ["a", "b"]),
        ("true", False, True),
        ("false", True, False),
        ("0.5", "s", "0.5"),
        ("[1, 2]", None, [1, 2]),
        ("{k: 1}", {}, {"k": 1}),
    ],
)
def test_parse_text_by_default_type(text: str, default: object, expected: object) -> None:
    value = parse_text(text, default)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(("text", "default"), [("x", 1.0), ("0.5", 1), ("maybe", True), ("3", [])])
def test_parse_text_refuses_the_wrong_type(text: str, default: object) -> None:
    with pytest.raises(ValueError):
        parse_text(text, default)


def test_resolve_layers(pipe) -> None:
    assert resolve(pipe)["train"]["C"] == 2
    dev = resolve(pipe, "dev", parse_overrides(["train.C=0.5", "train.cols=[a, b]"]))
    assert dev["train"] == {
        "C": 0.5,
        "max_iter": 5,
        "cols": ["a", "b"],
        "name": "x",
        "flag": False,
        "anything": None,
    }


@pytest.mark.parametrize(
    ("env", "pairs", "message"),
    [
        (
            None,
            ["train.D=1"],
            "step 'train': unknown parameter 'D' (-p); known parameters of train.ipynb: "
            "C, anything, cols, flag, max_iter, name",
        ),
        (
            "typo",
            [],
            "step 'train': unknown parameter 'D' (environment 'typo'); known parameters of "
            "train.ipynb: C, anything, cols, flag, max_iter, name",
        ),
        (
            None,
            ["train.max_iter=0.5"],
            "step 'train': parameter 'max_iter' (-p): '0.5' is not a int",
        ),
        ("bad", [], "step 'train': parameter 'C' (environment 'bad'): expected float, got str 'x'"),
        (None, ["nope.C=1"], "-p: no step named 'nope' (steps: train)"),
        ("prod", [], "unknown environment 'prod'; known environments: bad, dev, typo."),
    ],
)
def test_resolve_errors(pipe, env, pairs, message) -> None:
    with pytest.raises(MlopsUsageError) as info:
        resolve(pipe, env, parse_overrides(pairs))
    assert str(info.value) == f"{pipe.path}: {message}"


def test_override_syntax() -> None:
    with pytest.raises(MlopsUsageError, match=r"expected STEP.KEY=VALUE"):
        parse_overrides(["C=1"])
