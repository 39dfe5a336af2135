"""Where the store lives and how capture behaves.

Precedence: environment variables (``MLOPS_*``) over ``[tool.jupyter-mlops]``
in the project's ``pyproject.toml`` over defaults. The project root is the
nearest parent folder holding ``.mlops/``, ``pyproject.toml`` or ``.git``,
else the working directory.
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_mlops.errors import MlopsUsageError

_MARKERS = (".mlops", "pyproject.toml", ".git")

# Keys accepted in [tool.jupyter-mlops]; the env var is MLOPS_<KEY upper>.
CONFIG_KEYS: dict[str, str] = {
    "store_uri": "SQLAlchemy URL of the store (default: sqlite:///<root>/.mlops/mlops.db)",
    "artifacts_uri": "fsspec URL of the artifact store (default: <root>/.mlops/objects)",
    "s3_endpoint_url": "endpoint of an S3-compatible server for s3:// artifacts, e.g. "
    "http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL, else AWS)",
    "autolog": "capture scikit-learn, pandas and matplotlib in tracked cells (default: true)",
    "stale_after": "seconds without a heartbeat before a running run is killed (default: 60)",
    "flush_interval": "seconds between background flushes of buffered metrics (default: 1.0)",
    "experiment": "default experiment name for runs started outside a notebook",
    "stages": "model stages, comma-separated or a TOML list (default: staging, production)",
    "max_candidate_runs": "child runs a hyperparameter search records, its best-ranked "
    "candidates (default: 100; 0: none)",
    "max_model_size": "bytes above which a captured model is fingerprinted but not stored "
    "(default: 100000000)",
    "capture_max_file_bytes": "bytes above which a file read in a tracked cell is only "
    "fingerprinted, not stored, so the run cannot be reproduced from its record "
    "(default: 100000000)",
    "deleted_run_retention_days": "days a deleted run can still be restored before "
    "`jupyter-mlops gc --yes` purges it (default: 30)",
    "hidden_state": "registering a model whose run relied on hidden notebook state: warn, "
    "refuse or ignore (default: warn)",
    # Promotion gates (issue 19): kept together.
    "gated_stages": "stages a promotion needs a check or a stage_checks policy for, "
    'comma-separated or a TOML list (default: production; "" or []: none)',
    "stage_checks": "the default policy: a table stage -> gate expressions every promotion "
    "to that stage must pass, beside its own checks (env: JSON)",
}

#: Keys whose empty env value means "none" rather than "not set".
_BLANK_IS_EMPTY = frozenset({"gated_stages"})


def find_root(start: Path | None = None) -> Path:
    """Return the project root for ``start`` (default: the working directory)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in _MARKERS):
            return folder
    return here


@dataclass(frozen=True)
class Config:
    """Resolved settings for one project."""

    root: Path
    store_uri: str
    artifacts_uri: str
    autolog: bool = True
    stale_after: float = 60.0
    flush_interval: float = 1.0
    experiment: str = "Default"
    stages: tuple[str, ...] | None = None
    s3_endpoint_url: str | None = None
    max_candidate_runs: int = 100
    max_model_size: int = 100_000_000
    capture_max_file_bytes: int = 100_000_000
    deleted_run_retention_days: float = 30.0
    hidden_state: str = "warn"
    gated_stages: tuple[str, ...] = ("production",)
    stage_checks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def mlops_dir(self) -> Path:
        return self.root / ".mlops"


def _read_pyproject(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MlopsUsageError(f"Cannot read {path}: {exc}. Fix the TOML syntax.") from exc
    section = data.get("tool", {}).get("jupyter-mlops", {})
    if not isinstance(section, dict):
        raise MlopsUsageError(f"[tool.jupyter-mlops] in {path} must be a table.")
    unknown = sorted(set(section) - set(CONFIG_KEYS))
    if unknown:
        raise MlopsUsageError(
            f"Unknown key {unknown[0]!r} in [tool.jupyter-mlops] of {path}; "
            f"valid keys: {', '.join(sorted(CONFIG_KEYS))}."
        )
    return section


def _as_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise MlopsUsageError(f"{key} must be true or false, not {value!r}.")


def _as_float(key: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise MlopsUsageError(f"{key} must be a number, not {value!r}.") from None
    if number <= 0:
        raise MlopsUsageError(f"{key} must be positive, not {value!r}.")
    return number


def _as_count(key: str, value: Any) -> int:
    try:
        number = int(str(value).strip().replace("_", ""))
    except (TypeError, ValueError):
        raise MlopsUsageError(f"{key} must be a whole number, not {value!r}.") from None
    if number < 0:
        raise MlopsUsageError(f"{key} must be 0 or more, not {value!r}.")
    return number


def _as_choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    text = str(value).strip().lower()
    if text not in choices:
        raise MlopsUsageError(f"{key} must be one of {', '.join(choices)}, not {value!r}.")
    return text


def _as_names(key: str, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise MlopsUsageError(f"{key} must be a list of names, not {value!r}.")
    names = tuple(i.strip() for i in items if i.strip())
    if not names:
        raise MlopsUsageError(f"{key} must name at least one entry.")
    return names


def _as_gated(key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ("production",)
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise MlopsUsageError(
            f'{key} must be a list of stage names (or "" for none), not {value!r}.'
        )
    return tuple(i.strip() for i in items if i.strip())


def _as_stage_checks(key: str, value: Any) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise MlopsUsageError(
                f"{key} must be JSON like "
                f'{{"production": ["metrics.roc_auc >= 0.8"]}}, not {value!r}.'
            ) from None
    if not isinstance(value, dict):
        raise MlopsUsageError(
            f"{key} must be a table of stage = [gate expressions], not {value!r}."
        )
    policy: dict[str, tuple[str, ...]] = {}
    for stage, checks in value.items():
        items = [checks] if isinstance(checks, str) else checks
        if not isinstance(items, list) or not all(isinstance(c, str) and c.strip() for c in items):
            raise MlopsUsageError(
                f"{key}.{stage} must be a list of gate expressions, "
                f'e.g. ["metrics.roc_auc >= 0.8"], not {checks!r}.'
            )
        policy[str(stage)] = tuple(c.strip() for c in items)
    return policy


def load_config(start: Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Resolve the configuration for the project containing ``start``."""
    env = os.environ if environ is None else environ
    root = find_root(start)
    file_values = _read_pyproject(root)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key in CONFIG_KEYS:
        env_key = f"MLOPS_{key.upper()}"
        if env_key in env and (env[env_key] != "" or key in _BLANK_IS_EMPTY):
            values[key] = env[env_key]
            sources[key] = f"env {env_key}"
        elif key in file_values:
            values[key] = file_values[key]
            sources[key] = f"{root / 'pyproject.toml'} [tool.jupyter-mlops]"
        else:
            sources[key] = "default"
    store_uri = str(values.get("store_uri") or f"sqlite:///{root / '.mlops' / 'mlops.db'}")
    artifacts_uri = str(values.get("artifacts_uri") or (root / ".mlops" / "objects"))
    return Config(
        root=root,
        store_uri=store_uri,
        artifacts_uri=artifacts_uri,
        autolog=_as_bool("autolog", values.get("autolog", True)),
        stale_after=_as_float("stale_after", values.get("stale_after", 60.0)),
        flush_interval=_as_float("flush_interval", values.get("flush_interval", 1.0)),
        experiment=str(values.get("experiment", "Default")),
        stages=_as_names("stages", values.get("stages")),
        s3_endpoint_url=str(values["s3_endpoint_url"]) if values.get("s3_endpoint_url") else None,
        max_candidate_runs=_as_count("max_candidate_runs", values.get("max_candidate_runs", 100)),
        max_model_size=_as_count("max_model_size", values.get("max_model_size", 100_000_000)),
        capture_max_file_bytes=_as_count(
            "capture_max_file_bytes", values.get("capture_max_file_bytes", 100_000_000)
        ),
        deleted_run_retention_days=_as_float(
            "deleted_run_retention_days", values.get("deleted_run_retention_days", 30.0)
        ),
        hidden_state=_as_choice(
            "hidden_state", values.get("hidden_state", "warn"), ("warn", "refuse", "ignore")
        ),
        gated_stages=_as_gated("gated_stages", values.get("gated_stages")),
        stage_checks=_as_stage_checks("stage_checks", values.get("stage_checks")),
        sources=sources,
    )


def python_version() -> str:
    return sys.version.split()[0]


@dataclass(frozen=True)
class ConfigEntry:
    """One setting as resolved: its key, its value as text, and where the value came from."""

    key: str
    value: str
    source: str


def _show(value: object) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ", ".join(value) if value else "(none)"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {', '.join(v)}" for k, v in value.items()) or "(none)"
    return str(value)


def explain_config(
    start: Path | None = None, environ: dict[str, str] | None = None
) -> list[ConfigEntry]:
    """Every key of :data:`CONFIG_KEYS` with its effective value and its source.

    The source is ``env MLOPS_<KEY>``, ``<root>/pyproject.toml [tool.jupyter-mlops]``
    or ``default``. A bad value raises :class:`MlopsUsageError`, as :func:`load_config` does.
    """
    config = load_config(start, environ)
    if config.stages is None:
        # The promotion rules fall back to these; show them rather than "not set".
        stages: object = ("staging", "production")
    else:
        stages = config.stages
    entries = []
    for key in CONFIG_KEYS:
        value = stages if key == "stages" else getattr(config, key)
        entries.append(ConfigEntry(key, _show(value), config.sources.get(key, "default")))
    return entries
