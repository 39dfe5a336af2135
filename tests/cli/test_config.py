"""``jupyter-mlops config`` and ``explain_config`` behind it: value and source of each key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_mlops.config import CONFIG_KEYS, explain_config


def _pyproject(root: Path, body: str) -> Path:
    path = root / "pyproject.toml"
    path.write_text(f"[tool.jupyter-mlops]\n{body}\n")
    return path


def test_env_beats_pyproject_beats_default(project, monkeypatch) -> None:
    path = _pyproject(project, 'experiment = "from-file"\nstale_after = 30')
    monkeypatch.setenv("MLOPS_EXPERIMENT", "from-env")
    entries = {e.key: e for e in explain_config()}
    assert list(entries) == list(CONFIG_KEYS)
    assert (entries["experiment"].value, entries["experiment"].source) == (
        "from-env",
        "env MLOPS_EXPERIMENT",
    )
    assert entries["stale_after"].value == "30.0"
    assert entries["stale_after"].source == f"{path} [tool.jupyter-mlops]"
    assert (entries["autolog"].value, entries["autolog"].source) == ("true", "default")
    assert entries["stages"].value == "staging, production"


def test_cli_text_names_every_key_and_its_source(project, cli, monkeypatch) -> None:
    _pyproject(project, "autolog = false")
    monkeypatch.setenv("MLOPS_FLUSH_INTERVAL", "2.5")
    result = cli("config")
    assert result.code == 0, result.err
    lines = {line.split()[0]: line for line in result.out.splitlines()[1:]}
    assert set(lines) == set(CONFIG_KEYS)
    assert "false" in lines["autolog"] and "pyproject.toml [tool.jupyter-mlops]" in lines["autolog"]
    assert (
        "2.5" in lines["flush_interval"] and "env MLOPS_FLUSH_INTERVAL" in lines["flush_interval"]
    )
    assert lines["experiment"].endswith("(default)")


def test_cli_json(project, cli, monkeypatch) -> None:
    monkeypatch.setenv("MLOPS_STAGES", "qa,prod")
    result = cli("config", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["root"] == str(project.resolve())
    assert data["settings"]["stages"] == {"value": "qa, prod", "source": "env MLOPS_STAGES"}
    assert data["settings"]["store_uri"]["source"] == "default"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('stale_after = "soon"', "stale_after must be a number"),
        ("autolog = 3", "autolog must be true or false"),
        ("colour = 1", "Unknown key 'colour'"),
    ],
)
def test_bad_pyproject_value_is_one_line_usage_error(project, cli, body, message) -> None:
    _pyproject(project, body)
    result = cli("config")
    assert result.code == 2
    assert result.out == ""
    assert message in result.err and len(result.err.strip().splitlines()) == 1


def test_the_promotion_gate_settings_show_what_applies(project, monkeypatch) -> None:
    entries = {e.key: e for e in explain_config()}
    assert (entries["gated_stages"].value, entries["gated_stages"].source) == (
        "production",
        "default",
    )
    assert entries["stage_checks"].value == "(none)"
    path = _pyproject(
        project,
        'gated_stages = "staging, production"\n'
        "[tool.jupyter-mlops.stage_checks]\n"
        'production = ["metrics.roc_auc >= 0.8", "version >= 2"]',
    )
    entries = {e.key: e for e in explain_config()}
    assert entries["gated_stages"].value == "staging, production"
    assert entries["stage_checks"].value == "production: metrics.roc_auc >= 0.8, version >= 2"
    assert entries["stage_checks"].source == f"{path} [tool.jupyter-mlops]"
    monkeypatch.setenv("MLOPS_GATED_STAGES", "")
    entries = {e.key: e for e in explain_config()}
    assert (entries["gated_stages"].value, entries["gated_stages"].source) == (
        "(none)",
        "env MLOPS_GATED_STAGES",
    )
