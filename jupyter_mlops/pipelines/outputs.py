"""Where executed notebooks go: a visible ``mlops-runs/`` folder that git ignores.

Pipeline steps write ``mlops-runs/pipelines/<pipeline>/<run>/<step>.ipynb`` under the pipeline's
folder, schedules ``mlops-runs/schedules/<schedule>/<tick>.ipynb`` under the project root. Each
is also stored in the run as its ``report.ipynb`` artifact. The folder is visible so that
JupyterLab's file browser and the MLOps sidebar open these reports (Jupyter refuses hidden
folders unless started with ``--ContentsManager.allow_hidden``); a ``.gitignore`` inside keeps
them out of git without touching the project's own.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

RUNS_DIR = "mlops-runs"
_GITIGNORE = "# Executed notebooks written by jupyter_mlops; each run also keeps its copy.\n*\n"


def runs_folder(root: Path) -> Path:
    """``root/mlops-runs``, created with its ``.gitignore`` when missing."""
    folder = Path(root) / RUNS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    # "x": a .gitignore already there (the user's, or another writer's) is left as it is.
    with contextlib.suppress(FileExistsError), (folder / ".gitignore").open("x") as fh:
        fh.write(_GITIGNORE)
    return folder


def pipeline_output_dir(root: Path, pipeline: str, run_id: str) -> Path:
    """The folder of one pipeline run's executed notebooks (not created)."""
    return Path(root) / RUNS_DIR / "pipelines" / pipeline / run_id[:8]


def schedule_output(root: Path, schedule: str, label: str) -> Path:
    """The executed notebook of one schedule tick (not created)."""
    return Path(root) / RUNS_DIR / "schedules" / schedule / f"{label}.ipynb"
