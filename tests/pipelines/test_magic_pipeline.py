"""%mlops pipeline run|status in a real IPython shell."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from tests.conftest import RaisingShell


@pytest.fixture
def spec(store_dir: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell("n = 1")
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, nbformat.v4.new_code_cell("open('n.txt', 'w').write(str(n))")]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, store_dir / "one.ipynb")
    path = store_dir / "pipeline.yaml"
    path.write_text("name: mag\nsteps:\n  one: {notebook: one.ipynb, outputs: [n.txt]}\n")
    return path


def test_run_shows_progress_and_status_says_cached(ip: RaisingShell, spec: Path) -> None:
    with capture_output() as out:
        ip.run_cell("%mlops pipeline status pipeline.yaml")
    assert "one  run     never ran" in out.outputs[0].data["text/plain"]
    with capture_output() as out:
        result = ip.run_cell("%mlops pipeline run pipeline.yaml -p one.n=4").result
    assert result.run.status == "ok" and result.run.summary == "0 steps cached, 1 ran"
    assert (spec.parent / "n.txt").read_text() == "4"
    html = [o.data.get("text/html", "") for o in out.outputs]
    assert any("pipeline mag" in h and "one" in h for h in html)
    with capture_output() as out:
        ip.run_cell("%mlops pipeline status pipeline.yaml -p one.n=4")
    assert "one  cached  up to date" in out.outputs[0].data["text/plain"]


def test_usage_errors_are_one_line(ip: RaisingShell, spec: Path) -> None:
    with pytest.raises(UsageError, match="unknown parameter 'm'"):
        ip.run_cell("%mlops pipeline run pipeline.yaml -p one.m=1")
    with pytest.raises(UsageError, match="invalid choice"):
        ip.run_cell("%mlops pipeline go pipeline.yaml")
