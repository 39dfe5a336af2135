"""Paths a client names or is shown, kept inside the server's root."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jupyter_mlops.errors import MlopsError, MlopsUsageError


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


def as_given(base: Path, text: str) -> str:
    """``text`` with every path under ``base`` written relative to it, as a client gives it.

    ``base`` is the folder the client's paths are relative to (the server's root, or the
    command line's working directory): an answer never shows the server's folders.
    """
    prefixes = {str(base.absolute()), str(base.resolve())}
    # The longest first: a resolved root may be a prefix of the path as configured.
    for prefix in sorted(prefixes, key=len, reverse=True):
        folder = prefix.rstrip(os.sep)
        if folder:  # a root of "/" names every path as it is
            text = text.replace(folder + os.sep, "")
    return text


@contextmanager
def paths_as_given(base: Path) -> Iterator[None]:
    """A refusal raised inside names the files under ``base`` relative to it (:func:`as_given`).

    The spec, parameter and notebook checks the services call name files by their full
    path (the command line's own messages); a face whose client gave a relative path gets
    that path back, not the server's layout.
    """
    try:
        yield
    except MlopsError as exc:
        text = as_given(base, exc.message)
        if text != exc.message:
            exc.message = text
            exc.args = (text, *exc.args[1:])
        # A refused promotion's checks (the validation notebook's expression) go out too.
        for key, value in exc.fields.items():
            exc.fields[key] = values_as_given(base, value)
            setattr(exc, key, exc.fields[key])
        raise


def values_as_given(base: Path, value: Any) -> Any:
    """``value`` with :func:`as_given` applied to every string in it (lists, dicts)."""
    if isinstance(value, str):
        return as_given(base, value)
    if isinstance(value, list):
        return [values_as_given(base, v) for v in value]
    if isinstance(value, dict):
        return {k: values_as_given(base, v) for k, v in value.items()}
    return value
