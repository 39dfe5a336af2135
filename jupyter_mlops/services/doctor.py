"""``doctor``: where the store is, where each setting came from, versions, and the checks.

Read-only: a store that does not exist yet is not created, and a damaged one is not opened.
"""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

from jupyter_mlops._version import __version__
from jupyter_mlops.config import CONFIG_KEYS, load_config
from jupyter_mlops.services import schema
from jupyter_mlops.store.core import one_line
from jupyter_mlops.store.health import Check, inspect_store, safe_uri

# (label, distribution) shown under "versions".
VERSIONS = (
    ("SQLAlchemy", "sqlalchemy"),
    ("alembic", "alembic"),
    ("pandas", "pandas"),
    ("numpy", "numpy"),
    ("pyarrow", "pyarrow"),
    ("blake3", "blake3"),
    ("fsspec", "fsspec"),
    ("scikit-learn", "scikit-learn"),
    ("skops", "skops"),
    ("IPython", "ipython"),
    ("ipykernel", "ipykernel"),
    ("nbclient", "nbclient"),
    ("papermill", "papermill"),
)


def diagnose() -> schema.DoctorReport:
    """Check the working directory's project: its store, settings, packages and tools.

    Raises:
        MlopsUsageError: the configured store URI is not one.
    """
    config = load_config()
    facts = inspect_store(config)
    checks = [*facts.checks, _check_git(config.root), _check_ipykernel()]
    settings = []
    for key in CONFIG_KEYS:
        value = getattr(config, key)
        settings.append(
            schema.DoctorSetting(
                key=key,
                value=safe_uri(value) if key == "store_uri" else str(value),
                source=config.sources.get(key, "default"),
            )
        )
    versions = [
        schema.PackageVersion(name="jupyter_mlops", version=__version__),
        schema.PackageVersion(
            name="Python", version=f"{sys.version.split()[0]} ({sys.executable})"
        ),
        *(schema.PackageVersion(name=label, version=_version(dist)) for label, dist in VERSIONS),
    ]
    return schema.DoctorReport(
        ok=all(c.ok for c in checks),
        root=str(config.root),
        store_uri=safe_uri(config.store_uri),
        artifacts_uri=config.artifacts_uri,
        schema_revision=facts.schema,
        runs=facts.runs,
        configuration=settings,
        versions=versions,
        checks=[schema.DoctorCheck(name=c.name, ok=c.ok, detail=c.detail) for c in checks],
    )


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def _check_git(root: Path) -> Check:
    git = shutil.which("git")
    if git is None:
        return Check("git available", False, "git is not on PATH; runs will not record commits")
    try:
        out = subprocess.run(
            [git, "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        inside = subprocess.run(
            [git, "-C", str(root), "rev-parse", "--is-inside-work-tree"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return Check("git available", False, one_line(f"{git} does not run: {exc}"))
    repo = "in a git repository" if inside.returncode == 0 else "project is not a git repository"
    return Check("git available", True, f"{out}; {repo}")


def _check_ipykernel() -> Check:
    if importlib.util.find_spec("ipykernel") is None:
        return Check(
            "ipykernel installed",
            False,
            "not installed; pip install 'jupyter-mlops[notebook]' to run notebooks",
        )
    return Check("ipykernel installed", True, _version("ipykernel") or "installed")
