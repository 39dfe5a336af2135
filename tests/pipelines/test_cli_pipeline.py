"""jupyter-mlops run/status/accept/promote for notebooks and pipelines; exit codes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from jupyter_mlops.cli import main


def notebook(path: Path, params: str, *cells: str) -> None:
    nb = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell(params)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


@pytest.fixture
def project(store_dir: Path) -> Path:
    notebook(
        store_dir / "make.ipynb",
        "n = 2\nfail = False",
        "assert not fail, 'asked to fail'\nopen('out.txt', 'w').write(str(n))",
    )
    (store_dir / "pipeline.yaml").write_text(
        "name: cli\npromotion: [dev, prod]\n"
        "steps:\n  make: {notebook: make.ipynb, outputs: [out.txt]}\n"
        "environments:\n  dev: {}\n  prod: {}\n"
    )
    return store_dir


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_pipeline_run_status_junit_promote(project: Path, capsys) -> None:
    code, out, _ = cli(capsys, "status", "pipeline.yaml", "--env", "dev")
    assert code == 0 and "make  run     never ran" in out
    code, out, err = cli(capsys, "run", "pipeline.yaml", "--env", "dev", "--junit", "r.xml")
    assert code == 0, err
    assert (project / "out.txt").read_text() == "2"
    suite = ET.parse(project / "r.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "1" and suite.get("failures") == "0"
    code, out, _ = cli(capsys, "status", "pipeline.yaml", "--env", "dev")
    assert "make  cached  up to date" in out

    # prod is a promotion target: nothing promoted yet
    code, _, err = cli(capsys, "run", "pipeline.yaml", "--env", "prod")
    assert code == 1 and "nothing was promoted to 'prod'" in err
    code, out, err = cli(capsys, "promote", "pipeline.yaml", "--from", "dev", "--to", "prod")
    assert code == 0, err
    assert "promoted dev -> prod" in out
    code, _, err = cli(capsys, "run", "pipeline.yaml", "--env", "prod")
    assert code == 0, err
    # a changed notebook is refused in prod until promoted again
    notebook(project / "make.ipynb", "n = 3\nfail = False", "open('out.txt', 'w').write(str(n))")
    code, _, err = cli(capsys, "run", "pipeline.yaml", "--env", "prod")
    assert code == 1 and "make.ipynb changed since the version promoted to 'prod'" in err
    code, _, err = cli(capsys, "promote", "pipeline.yaml", "--from", "dev", "--to", "prod")
    assert code == 1 and "make.ipynb changed since the last successful run in 'dev'" in err


def test_failures_and_usage_errors(project: Path, capsys) -> None:
    code, _, err = cli(capsys, "run", "pipeline.yaml", "-p", "make.fail=true", "--junit", "r.xml")
    assert code == 1
    assert "step 'make' failed at cell 2: AssertionError: asked to fail (see " in err
    failure = ET.parse(project / "r.xml").getroot().find("testsuite/testcase/failure")
    assert failure is not None and "asked to fail" in (failure.get("message") or "")
    code, _, err = cli(capsys, "run", "pipeline.yaml", "-p", "make.m=1")
    assert (
        code == 2 and "unknown parameter 'm' (-p); known parameters of make.ipynb: fail, n" in err
    )
    code, _, err = cli(capsys, "run", "pipeline.yaml", "-p", "make.n=x")
    assert code == 2 and "'x' is not a int" in err
    code, _, err = cli(capsys, "accept", "pipeline.yaml", "make")
    assert code == 2 and "declared output 'out.txt' does not exist" in err
    (project / "out.txt").write_text("9")
    code, out, err = cli(capsys, "accept", "pipeline.yaml", "make")
    assert code == 0, err
    code, out, _ = cli(capsys, "status", "pipeline.yaml")
    assert "make  cached" in out


def test_run_one_notebook(project: Path, capsys) -> None:
    code, _out, err = cli(capsys, "run", "make.ipynb", "-p", "n=7", "--output", "o/made.ipynb")
    assert code == 0, err
    assert (project / "out.txt").read_text() == "7"
    assert (project / "o" / "made.ipynb").is_file()


EXAMPLE = Path(__file__).parents[2] / "example_notebooks" / "pipeline"


def test_example_pipeline_end_to_end_in_dev(store_dir: Path, capsys) -> None:
    import shutil

    import jupyter_mlops as mlops

    folder = store_dir / "pipeline"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("mlops-runs", "data", "models"))
    spec = str(folder / "pipeline.yaml")
    code, out, err = cli(capsys, "run", spec, "--env", "dev", "--jobs", "2", "--junit", "r.xml")
    assert code == 0, out + err
    assert (folder / "data" / "train.csv").is_file()
    version = mlops.models.get("models:/breast-cancer@staging")
    assert version.version == 1
    code, out, _ = cli(capsys, "status", spec, "--env", "dev")
    assert "0 of 4 step(s) would run." in out
    # staging is a promotion target: promote what passed in dev
    code, out, err = cli(capsys, "promote", spec, "--from", "dev", "--to", "staging")
    assert code == 0, err
