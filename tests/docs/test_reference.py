"""docs/reference/ is generated from the code and must say what the code says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jupyter_mlops import _docgen
from jupyter_mlops._docgen.cli import command_names
from jupyter_mlops.magics._router import VERBS

REFERENCE = Path(__file__).parents[2] / "docs" / "reference"
REGENERATE = "run `python -m jupyter_mlops._docgen` and commit docs/reference/"


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return _docgen.generate()


def test_committed_reference_is_what_the_code_generates(pages: dict[str, str]) -> None:
    stale = [
        name
        for name, text in pages.items()
        if not (REFERENCE / name).is_file()
        or (REFERENCE / name).read_text(encoding="utf-8") != text
    ]
    assert not stale, f"docs/reference/ is out of date ({', '.join(stale)}): {REGENERATE}"


def test_every_magic_verb_has_a_section() -> None:
    text = (REFERENCE / "magics.md").read_text(encoding="utf-8")
    missing = [verb for verb in VERBS if f"\n## %mlops {verb}\n" not in text]
    assert not missing, f"undocumented magic verbs {missing}: {REGENERATE}"


def test_every_cli_command_and_subcommand_has_a_section() -> None:
    text = (REFERENCE / "cli.md").read_text(encoding="utf-8")
    names = command_names()
    assert "run" in names and "schedule add" in names and "data diff" in names
    missing = [n for n in names if not re.search(rf"\n#+ jupyter-mlops {re.escape(n)}\n", text)]
    assert not missing, f"undocumented commands {missing}: {REGENERATE}"


def test_reference_names_the_public_api_and_config(pages: dict[str, str]) -> None:
    import jupyter_mlops
    from jupyter_mlops.config import CONFIG_KEYS

    api = pages["python-api.md"]
    for name in jupyter_mlops.__all__:
        if not name.startswith("__"):
            assert f"mlops.{name}" in api, name
    assert "### `mlops.models.promote`" in api and "### `mlops.data.diff`" in api
    for key in CONFIG_KEYS:
        assert f"`MLOPS_{key.upper()}`" in pages["config.md"]
    assert "| `gate` |" in pages["pipeline-spec.md"]
    assert "not described yet" not in pages["pipeline-spec.md"], "describe the new spec key"


def test_check_mode_reports_a_hand_edited_page(tmp_path: Path, capsys) -> None:
    assert _docgen.main(["--out", str(tmp_path)]) == 0
    assert _docgen.main(["--check", "--out", str(tmp_path)]) == 0
    page = tmp_path / "cli.md"
    page.write_text(page.read_text() + "hand edit\n")
    assert _docgen.main(["--check", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "cli.md" in err and "python -m jupyter_mlops._docgen" in err
