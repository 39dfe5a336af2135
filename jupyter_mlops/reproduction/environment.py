"""How the environment a run recorded differs from the one reproducing it.

The run recorded the Python version and the versions of the distributions it had imported
(``runs.environment``); the current interpreter is the one whose kernel re-executes the slice.
"""

from __future__ import annotations

import importlib.metadata as md
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EnvDifference:
    """One difference: ``python`` or a distribution name, the recorded and current versions."""

    name: str
    recorded: str | None
    current: str | None

    def __str__(self) -> str:
        now = self.current or "not installed"
        return f"{self.name} {self.recorded} (recorded) vs {now} (now)"


def _installed(name: str) -> str | None:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def compare_environment(recorded: Mapping[str, Any]) -> list[EnvDifference]:
    """The differences between a run's recorded environment and this interpreter's.

    Python first, then distributions by name; only those the run recorded are compared.
    """
    out: list[EnvDifference] = []
    python = recorded.get("python")
    current_python = sys.version.split()[0]
    if isinstance(python, str) and python != current_python:
        out.append(EnvDifference("python", python, current_python))
    packages = recorded.get("packages")
    if isinstance(packages, Mapping):
        for name, version in sorted(packages.items()):
            now = _installed(str(name))
            if str(version) != (now or ""):
                out.append(EnvDifference(str(name), str(version), now))
    return out
