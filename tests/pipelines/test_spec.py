"""pipeline.yaml validation: every error is one line naming the file, the step and the key."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.pipelines import load


def notebook(path: Path, params: str = "x = 1", body: str = "print(x)") -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("a", "b", "c"):
        notebook(tmp_path / f"{name}.ipynb")
    return tmp_path


def spec(folder: Path, text: str) -> Path:
    path = folder / "pipeline.yaml"
    path.write_text(text)
    return path


def test_load_orders_steps_and_reads_everything(folder: Path) -> None:
    path = spec(
        folder,
        """
name: churn
promotion: [dev, prod]
steps:
  c: {notebook: c.ipynb, needs: [b], gate: "metrics.auc >= 0.5", retries: 2, timeout: 30}
  a: {notebook: a.ipynb, params: {x: 2}, outputs: [data/out.csv]}
  b: {notebook: b.ipynb, needs: [a], inputs: [data/out.csv], kernel: python3}
environments:
  dev: {params: {a.x: 3}}
  prod: {}
""",
    )
    pipe = load(path)
    assert list(pipe.steps) == ["a", "b", "c"]
    assert pipe.steps["a"].params == {"x": 2}
    assert pipe.steps["a"].outputs == ("data/out.csv",)
    assert pipe.steps["c"].retries == 2
    assert pipe.steps["c"].timeout == 30.0
    assert pipe.environments == {"dev": {"a": {"x": 3}}, "prod": {}}
    assert pipe.promotion == ("dev", "prod")
    assert pipe.downstream("a") == ["b", "c"]
    assert pipe.upstream("c") == ["a", "b"]
    assert pipe.root == folder


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: p\nsteps: {}\n", "key 'steps': a pipeline needs at least one step"),
        ("steps: {a: {notebook: a.ipynb}}\n", "key 'name': expected a pipeline name"),
        (
            "name: p\nbogus: 1\nsteps: {a: {notebook: a.ipynb}}\n",
            "unknown key 'bogus' (allowed: name, steps, environments, promotion, description)",
        ),
        (
            "name: p\nsteps: {a: {notebook: a.ipynb, retry: 1}}\n",
            "step 'a': unknown key 'retry' (allowed: notebook, params, needs, inputs, outputs, "
            "gate, kernel, timeout, retries)",
        ),
        ("name: p\nsteps: {a: {params: {}}}\n", "step 'a': key 'notebook': missing"),
        (
            "name: p\nsteps: {a: {notebook: zz.ipynb}}\n",
            "step 'a': key 'notebook': no such notebook 'zz.ipynb'",
        ),
        (
            "name: p\nsteps: {a: {notebook: a.ipynb, needs: [x]}}\n",
            "step 'a': key 'needs': no step named 'x' (steps: a)",
        ),
        (
            "name: p\nsteps: {a: {notebook: a.ipynb, needs: b}, b: {notebook: b.ipynb}}\n",
            "step 'a': key 'needs': expected a list of strings, got str",
        ),
        (
            "name: p\nsteps:\n  a: {notebook: a.ipynb, needs: [b]}\n"
            "  b: {notebook: b.ipynb, needs: [a]}\n",
            "step 'a': key 'needs': cycle a -> b -> a",
        ),
        (
            "name: p\nsteps: {a: {notebook: a.ipynb, retries: -1}}\n",
            "step 'a': key 'retries': expected a whole number >= 0",
        ),
        (
            "name: p\nsteps: {a: {notebook: a.ipynb, timeout: 0}}\n",
            "step 'a': key 'timeout': expected a positive number of seconds",
        ),
        (
            "name: p\nsteps: {a: {notebook: a.ipynb, outputs: [/etc/passwd]}}\n",
            "step 'a': key 'outputs': '/etc/passwd' must be a path inside the pipeline folder",
        ),
        (
            "name: p\nsteps: {a: {notebook: a.ipynb}}\nenvironments: {dev: {params: {b.x: 1}}}\n",
            "environment 'dev': key 'b.x': no step named 'b' (steps: a)",
        ),
        (
            "name: p\nsteps: {a: {notebook: a.ipynb}}\nenvironments: {dev: {params: {x: 1}}}\n",
            "environment 'dev': key 'x': expected STEP.PARAM",
        ),
        (
            "name: p\nsteps: {a: {notebook: a.ipynb}}\nenvironments: {dev: {vars: {}}}\n",
            "environment 'dev': unknown key 'vars' (allowed: params)",
        ),
        (
            "name: p\nsteps: {a: {notebook: a.ipynb}}\npromotion: [dev]\n",
            "key 'promotion': no environment named 'dev'",
        ),
        ("name: p\nsteps: [a]\n", "key 'steps': expected a mapping, got list"),
        ("name: [p\n", "line 2: invalid YAML"),
        # A key given twice is refused, not "the last one wins" (a step or param silently lost).
        (
            "name: p\nsteps:\n  a: {notebook: a.ipynb}\n  a: {notebook: b.ipynb}\n",
            "line 4: invalid YAML: the key 'a' is given twice",
        ),
        (
            "name: p\nsteps:\n  a: {notebook: a.ipynb, params: {C: 1, C: 2}}\n",
            "line 3: invalid YAML: the key 'C' is given twice",
        ),
        ("name: p\nname: q\nsteps: {a: {notebook: a.ipynb}}\n", "line 2: invalid YAML"),
    ],
)
def test_spec_errors_name_file_step_and_key(folder: Path, text: str, message: str) -> None:
    path = spec(folder, text)
    with pytest.raises(MlopsUsageError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}: {message}")
    assert "\n" not in str(info.value)


def test_bad_gate_is_an_error_before_running(folder: Path) -> None:
    path = spec(folder, "name: p\nsteps: {a: {notebook: a.ipynb, gate: 'metrics.auc >='}}\n")
    with pytest.raises(MlopsUsageError, match=r"step 'a': key 'gate': "):
        load(path)


def test_missing_spec_file(tmp_path: Path) -> None:
    with pytest.raises(MlopsUsageError, match="cannot read the pipeline spec"):
        load(tmp_path / "nope.yaml")
