"""%mlops config through a real shell."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from jupyter_mlops.config import CONFIG_KEYS


def test_config_shows_value_and_source_of_every_key(ip, store_dir, monkeypatch) -> None:
    (store_dir / "pyproject.toml").write_text('[tool.jupyter-mlops]\nexperiment = "churn"\n')
    monkeypatch.setenv("MLOPS_AUTOLOG", "off")
    [shown] = ip.run("%mlops config").displays
    lines = {line.split()[0]: line for line in shown["text/plain"].splitlines()[1:]}
    assert set(lines) == set(CONFIG_KEYS)
    assert "false" in lines["autolog"] and "(env MLOPS_AUTOLOG)" in lines["autolog"]
    assert "churn" in lines["experiment"]
    assert f"({store_dir / 'pyproject.toml'} [tool.jupyter-mlops])" in lines["experiment"]
    assert lines["stale_after"].endswith("(default)")
    assert "<table class='mlops-config'>" in shown["text/html"]


def test_bad_pyproject_value_is_a_usage_error(ip, store_dir) -> None:
    (store_dir / "pyproject.toml").write_text("[tool.jupyter-mlops]\nflush_interval = -1\n")
    with pytest.raises(UsageError, match="flush_interval must be positive"):
        ip.run("%mlops config")
