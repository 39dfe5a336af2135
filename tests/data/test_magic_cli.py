"""``%mlops data`` and ``jupyter-mlops data``: thin faces over the same functions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.error import UsageError

import jupyter_mlops.data as data
from jupyter_mlops.cli import main
from jupyter_mlops.store import reset_current_store
from tests.conftest import RaisingShell


@pytest.fixture(autouse=True)
def fresh_store(project: Path) -> Iterator[Path]:
    """The project's own store (``project/.mlops``), opened afresh for each test."""
    reset_current_store()
    (project / "churn.csv").write_text("id,plan\n1,basic\n2,pro\n")
    yield project
    reset_current_store()


@pytest.fixture
def ip(shell: RaisingShell) -> RaisingShell:
    """The shared shell, in this folder's project (not ``store_dir``)."""
    return shell


def test_magic_add_show_list_tag_diff_checkout(ip: RaisingShell, project: Path) -> None:
    _, out, _ = ip.run("%mlops data add churn.csv --description 'first cut'")
    version = data.get("churn@1")
    assert out == f"mlops: {version}\n"
    assert version.description == "first cut"

    (project / "churn.csv").write_text("id,plan\n1,basic\n2,pro\n3,plus\n")
    ip.run("%mlops data add churn.csv")
    ip.user_ns["features"] = pd.DataFrame({"x": [1.0, 2.0]})
    _, out, _ = ip.run("%mlops data add features")
    assert out.startswith("mlops: features@1 (parquet,")

    _, _, shown = ip.run("%mlops data show churn@2")
    assert shown[0]["text/plain"] == data.get("churn@2").describe()
    assert "<strong>churn@2</strong>" in shown[0]["text/html"]

    _, _, listed = ip.run("%mlops data list")
    assert "churn" in listed[0]["text/plain"] and "features" in listed[0]["text/plain"]

    _, out, _ = ip.run("%mlops data tag churn@2 stage=clean owner=ana")
    assert out == "mlops: tagged churn@2 stage=clean owner=ana\n"
    assert data.get("churn").tags == {"owner": "ana", "stage": "clean"}

    _, _, diffed = ip.run("%mlops data diff churn@1 churn@2")
    assert diffed[0]["text/plain"] == str(data.diff("churn@1", "churn@2"))

    _, out, _ = ip.run("%mlops data checkout churn@1 restored.csv")
    assert out == "mlops: checked out churn@1 to restored.csv\n"
    assert (project / "restored.csv").read_text() == "id,plan\n1,basic\n2,pro\n"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%mlops data", "Give an action: %mlops data add|list|show|diff|checkout|tag ..."),
        ("%mlops data add", "Usage: %mlops data add PATH|DATAFRAME [--name NAME]."),
        ("%mlops data diff a@1", "Usage: %mlops data diff NAME@N NAME@M."),
        ("%mlops data add nowhere.csv", "No file or folder 'nowhere.csv' to add; check the path."),
        ("%mlops data show nope", "No dataset 'nope' — `mlops.data.list()` shows the datasets."),
        ("%mlops data show churn@x", "Invalid dataset reference 'churn@x': use 'name' for the "
         "latest version or 'name@N' for version N (1, 2, …)."),
        ("%mlops data tag churn stage", "%mlops data tag: expected KEY=VALUE, got 'stage'."),
    ],
)  # fmt: skip
def test_magic_bad_usage(ip: RaisingShell, line: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        ip.run(line)
    assert str(info.value) == message


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_add_list_show_diff_tag_checkout(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    code, out, _ = cli(capsys, "data", "add", "churn.csv", "--name", "churn")
    assert code == 0 and out == f"{data.get('churn@1')}\n"
    (project / "churn.csv").write_text("id,plan\n1,basic\n")
    assert cli(capsys, "data", "add", "churn.csv")[0] == 0

    code, out, _ = cli(capsys, "data")
    assert code == 0
    assert out.splitlines()[0].split() == [
        "name", "latest", "format", "size", "rows", "digest", "created", "description"
    ]  # fmt: skip
    assert out.splitlines()[1].split()[:5] == ["churn", "2", "csv", "16", "B"]

    code, out, _ = cli(capsys, "data", "list", "churn", "--format", "json")
    assert [row["ref"] for row in json.loads(out)] == ["churn@1", "churn@2"]

    code, out, _ = cli(capsys, "data", "show", "churn@1", "--format", "json")
    assert json.loads(out)["row_count"] == 2

    code, out, _ = cli(capsys, "data", "diff", "churn@1", "churn@2")
    assert out == str(data.diff("churn@1", "churn@2")) + "\n"

    code, out, _ = cli(capsys, "data", "tag", "churn@1", "stage=raw")
    assert code == 0 and data.get("churn@1").tags == {"stage": "raw"}

    code, out, _ = cli(capsys, "data", "checkout", "churn@1", "copy.csv")
    assert (code, out) == (0, "checked out churn@1 to copy.csv\n")
    code, _, err = cli(capsys, "data", "checkout", "churn@1", "copy.csv")
    assert code == 2
    assert err == (
        "jupyter-mlops: error: 'copy.csv' already exists; pass force=True (--force) to "
        "overwrite it.\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["data", "add"], "the following arguments are required: PATH; "
         "see `jupyter-mlops data add --help`."),
        (["data", "show", "nope"], "No dataset 'nope' — `mlops.data.list()` shows the datasets."),
        (["data", "add", "x.csv", "--link", "soft"], "argument --link: expected auto, copy, "
         "reflink or hardlink, not 'soft'; see `jupyter-mlops data add --help`."),
        (["data", "tag", "churn", "oops"], "argument KEY=VALUE: expected KEY=VALUE, not 'oops'; "
         "see `jupyter-mlops data tag --help`."),
    ],
)  # fmt: skip
def test_cli_bad_usage_exits_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = cli(capsys, *args)
    assert (code, err) == (2, f"jupyter-mlops: error: {message}\n")
