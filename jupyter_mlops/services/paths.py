"""Paths a client names or is shown, kept inside the server's root."""

from __future__ import annotations

from pathlib import Path

from jupyter_mlops.errors import MlopsUsageError


def inside_root(root: Path, given: str, *, what: str = "file") -> Path:
    """Resolve ``given`` (relative to ``root``) and refuse anything outside ``root``.

    Raises:
        MlopsUsageError: an absolute path, a path leaving the root, or a missing file.
    """
    if not isinstance(given, str) or not given.strip() or "\x00" in given:
        raise MlopsUsageError(f"Give the {what} as a path relative to the server's root.")
    if Path(given).is_absolute() or given.startswith("~"):
        raise MlopsUsageError(f"The {what} {given!r} must be a path relative to the server's root.")
    base = root.resolve()
    full = (base / given).resolve()
    if not full.is_relative_to(base):
        raise MlopsUsageError(f"The {what} {given!r} is outside the server's root.")
    if not full.is_file():
        raise MlopsUsageError(f"No {what} {given!r} in the server's root; check the path.")
    return full


def in_root(root: Path, path: str | None) -> str | None:
    """``path`` relative to ``root`` (POSIX), to open in JupyterLab; None when outside it."""
    if not path:
        return None
    candidate = Path(path)
    base = root.resolve()
    full = (candidate if candidate.is_absolute() else base / candidate).resolve()
    if not full.is_relative_to(base):
        return None
    return full.relative_to(base).as_posix()
