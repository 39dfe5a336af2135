"""``%mlops data`` and ``jupyter-mlops data``: thin faces over the same functions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.error import UsageError

import jupyter_mlops.data as data
from jupyter_mlops.store import reset_current_store
from tests.conftest import RaisingShell, Result

Cli = Callable[..., Result]


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


def test_magic_without_an_action_lists_like_the_cli(ip: RaisingShell) -> None:
    assert ip.run("%mlops data").stdout == (
        "mlops: no datasets yet; add one with %mlops data add PATH.\n"
    )
    ip.run("%mlops data add churn.csv")
    _, _, listed = ip.run("%mlops data")
    assert "<td>churn</td>" in listed[0]["text/html"]
    _, _, versions = ip.run("%mlops data list churn")
    assert versions[0]["text/plain"] == data.get("churn@1").describe()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%mlops data add", "%mlops data add: the following arguments are required: PATH. "
         "See %mlops data add --help."),
        ("%mlops data diff a@1", "%mlops data diff: the following arguments are required: "
         "NAME@M. See %mlops data diff --help."),
        ("%mlops data add nowhere.csv", "No file or folder 'nowhere.csv' to add; check the path."),
        ("%mlops data show nope", "No dataset 'nope' — `mlops.data.list()` shows the datasets."),
        ("%mlops data show churn@x", "Invalid dataset reference 'churn@x': use 'name' for the "
         "latest version or 'name@N' for version N (1, 2, …)."),
        ("%mlops data tag churn stage", "%mlops data tag: argument KEY=VALUE: expected "
         "KEY=VALUE, not 'stage'. See %mlops data tag --help."),
        ("%mlops data add x.csv --link soft", "%mlops data add: argument --link: expected auto, "
         "copy, reflink or hardlink, not 'soft'. See %mlops data add --help."),
    ],
)  # fmt: skip
def test_magic_bad_usage(ip: RaisingShell, line: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        ip.run(line)
    assert str(info.value) == message


def test_cli_add_list_show_diff_tag_checkout(cli: Cli, project: Path) -> None:
    code, out, _ = cli("data", "add", "churn.csv", "--name", "churn")
    assert code == 0 and out == f"{data.get('churn@1')}\n"
    (project / "churn.csv").write_text("id,plan\n1,basic\n")
    assert cli("data", "add", "churn.csv").code == 0

    code, out, _ = cli("data")
    assert code == 0
    assert out.splitlines()[0].split() == [
        "name", "latest", "format", "size", "rows", "digest", "created", "description"
    ]  # fmt: skip
    assert out.splitlines()[1].split()[:5] == ["churn", "2", "csv", "16", "B"]

    code, out, _ = cli("data", "list", "churn")  # crashed with KeyError: 'name' (issue 15)
    assert code == 0
    assert out.splitlines()[0].split() == [
        "version", "format", "size", "rows", "digest", "created", "description"
    ]  # fmt: skip
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["churn@1", "churn@2"]

    code, out, _ = cli("data", "list", "churn", "--format", "json")
    assert [row["ref"] for row in json.loads(out)["items"]] == ["churn@1", "churn@2"]

    code, out, _ = cli("data", "show", "churn@1", "--format", "json")
    assert json.loads(out)["row_count"] == 2

    code, out, _ = cli("data", "diff", "churn@1", "churn@2")
    assert out == str(data.diff("churn@1", "churn@2")) + "\n"
    code, out, _ = cli("data", "diff", "churn@1", "churn@2", "--format", "json")
    assert json.loads(out) == data.diff("churn@1", "churn@2").to_dict()

    code, out, _ = cli("data", "tag", "churn@1", "stage=raw", "owner=ana")
    assert (code, out) == (0, f"{data.get('churn@1')}\n")
    assert data.get("churn@1").tags == {"owner": "ana", "stage": "raw"}

    code, out, _ = cli("data", "checkout", "churn@1", "copy.csv")
    assert (code, out) == (0, "checked out churn@1 to copy.csv\n")
    code, out, _ = cli("data", "checkout", "churn@1", "copy.csv", "--force", "--format", "json")
    assert json.loads(out)["path"] == "copy.csv"
    assert json.loads(out)["version"]["ref"] == "churn@1"
    code, _, err = cli("data", "checkout", "churn@1", "copy.csv")
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
        (["data", "tag", "churn"], "the following arguments are required: KEY=VALUE; "
         "see `jupyter-mlops data tag --help`."),
        (["data", "list", "no such"], "Invalid dataset name 'no such': use 1-128 letters, "
         "digits, '.', '_' or '-', starting with a letter or digit."),
    ],
)  # fmt: skip
def test_cli_bad_usage_exits_2(cli: Cli, args: list[str], message: str) -> None:
    code, _, err = cli(*args)
    assert (code, err) == (2, f"jupyter-mlops: error: {message}\n")
