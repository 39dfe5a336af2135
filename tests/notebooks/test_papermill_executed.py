"""A run tracked in a notebook that papermill executes links the executed notebook papermill
wrote, when the kernel can know where it writes: the ``PAPERMILL_OUTPUT_PATH`` parameter (the
Python API's ``parameters=``, the CLI's ``--inject-output-path``) or the CLI's OUTPUT."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import papermill

import jupyter_mlops as mlops
from jupyter_mlops.services.previews import recorded_notebook
from jupyter_mlops.store import current_store
from jupyter_mlops.tracking.environment import EXECUTED_NOTEBOOK_TAG
from tests.notebooks.conftest import KERNEL, build_notebook

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

CELLS = [
    "# parameters\nC = 1.0",
    "%load_ext jupyter_mlops",
    "%%mlops track scored\nscore = round(0.5 + C / 10, 3)\nprint('scored', score)",
    "import jupyter_mlops as mlops\n"
    "with mlops.start_run('plain') as run:\n"
    "    run.log_metric('x', 1)",
]


def _shown(project: Path, name: str) -> tuple[str, str]:
    """The run page's notebook of run ``name``: its path and the text of its outputs."""
    preview = recorded_notebook(current_store(), name, root=project)
    text = "".join(o.text or "" for c in preview.cells or () for o in c.outputs)
    return preview.path, text


def test_the_python_apis_run_links_the_output_path_given_as_a_parameter(store_dir: Path) -> None:
    source = build_notebook(store_dir / "train.ipynb", CELLS)
    (store_dir / "reports").mkdir()
    out = store_dir / "reports" / "train-C2.ipynb"
    # as docs/capture.md shows it: paths relative to the working folder
    papermill.execute_notebook(
        "train.ipynb",
        "reports/train-C2.ipynb",
        parameters={
            "C": 2.0,
            "PAPERMILL_INPUT_PATH": "train.ipynb",
            "PAPERMILL_OUTPUT_PATH": "reports/train-C2.ipynb",
        },
        kernel_name=KERNEL,
        cwd=str(store_dir),
        progress_bar=False,
        execution_timeout=240,
    )
    for name in ("scored", "plain"):  # a magic's run and the Python API's alike
        run = mlops.get_run(name)
        assert run.tags[EXECUTED_NOTEBOOK_TAG] == str(out)
        assert run.notebook_path == str(source)
    path, text = _shown(store_dir, "scored")
    assert path == "reports/train-C2.ipynb"
    assert "scored 0.7" in text  # what papermill wrote: the run's outputs, C injected


def test_the_python_api_without_the_parameter_links_no_executed_notebook(store_dir: Path) -> None:
    # papermill.execute_notebook tells the kernel nothing of its output path (no environment
    # variable, no injected value): the run cannot know it and says it kept no copy.
    source = build_notebook(store_dir / "train.ipynb", CELLS)
    papermill.execute_notebook(
        str(source),
        str(store_dir / "out.ipynb"),
        parameters={"C": 2.0},
        kernel_name=KERNEL,
        cwd=str(store_dir),
        progress_bar=False,
        execution_timeout=240,
    )
    run = mlops.get_run("scored")
    assert EXECUTED_NOTEBOOK_TAG not in run.tags
    preview = recorded_notebook(current_store(), run.id, root=store_dir)
    assert preview.kind == "none" and preview.message == "This run kept no copy of its notebook."


def test_the_papermill_commands_run_links_its_output_argument(store_dir: Path) -> None:
    notebooks = store_dir / "notebooks"
    notebooks.mkdir()
    (store_dir / "out").mkdir()
    build_notebook(notebooks / "train.ipynb", CELLS)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    subprocess.run(
        [
            *(str(BIN / "papermill"), "train.ipynb", "../out/train-C3.ipynb"),
            *("-p", "C", "3", "--no-progress-bar", "--kernel", KERNEL),
        ],
        cwd=notebooks,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    out = store_dir / "out" / "train-C3.ipynb"
    run = mlops.get_run("scored")
    assert run.notebook_path == str(notebooks / "train.ipynb")  # the input, as before
    assert run.tags[EXECUTED_NOTEBOOK_TAG] == str(out)
    path, text = _shown(store_dir, "scored")
    assert path == "out/train-C3.ipynb"
    assert "scored 0.8" in text
