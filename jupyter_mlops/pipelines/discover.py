"""Find the pipeline specs of a project: the ``.yaml`` files under a folder with ``steps:``.

Hidden folders, ``mlops-runs/`` (executed notebooks), ``node_modules`` and virtual
environments are not searched, nor links leading out of the folder; a file that names steps
but does not load is listed with why.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from jupyter_mlops.pipelines.outputs import RUNS_DIR

_SKIP = {RUNS_DIR, "node_modules", "__pycache__", "site-packages", "venv", ".venv"}
_STEPS = re.compile(r"^steps\s*:", re.MULTILINE)
#: Larger files are not pipeline specs (and reading them would slow the listing).
MAX_BYTES = 256 * 1024


def spec_files(root: Path, *, limit: int) -> Iterator[Path]:
    """The candidate pipeline specs under ``root`` (resolved), by path, ``limit`` at most."""
    found = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP)
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml")) or name.startswith("."):
                continue
            path = Path(folder) / name
            try:
                if not path.resolve().is_relative_to(root) or path.stat().st_size > MAX_BYTES:
                    continue  # a link out of the root is not the project's (nor run from here)
                    continue
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if _STEPS.search(text):
                yield path
                found += 1
                if found >= limit:
                    return
