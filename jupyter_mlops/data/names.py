"""Dataset names, ``name@N`` references and run roles: parsed strictly, refused in one line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jupyter_mlops.errors import MlopsUsageError

NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
_NAME_RE = re.compile(NAME_PATTERN)
_REF_RE = re.compile(rf"(?P<name>{NAME_PATTERN})(?:@(?P<version>[1-9][0-9]{{0,17}}))?")

#: run role -> direction of the link between the run and the dataset version
ROLES: dict[str, str] = {
    "training": "input",
    "evaluation": "input",
    "input": "input",
    "reference": "input",
    "current": "input",
    "product": "output",
}

MAX_TAG_KEY = 250


@dataclass(frozen=True)
class Ref:
    """A parsed reference: ``name`` and a version number, or None for the latest."""

    name: str
    version: int | None = None

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}@{self.version}"


def check_name(name: Any) -> str:
    """Return ``name`` if it is a valid dataset name, else raise MlopsUsageError."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise MlopsUsageError(
            f"Invalid dataset name {name!r}: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return name


def parse_ref(ref: Any) -> Ref:
    """Parse ``"name"`` (latest version) or ``"name@N"`` (N = 1, 2, …)."""
    if isinstance(ref, Ref):
        return ref
    match = _REF_RE.fullmatch(ref) if isinstance(ref, str) else None
    if match is None:
        raise MlopsUsageError(
            f"Invalid dataset reference {ref!r}: use 'name' for the latest version "
            "or 'name@N' for version N (1, 2, …)."
        )
    version = match.group("version")
    return Ref(match.group("name"), None if version is None else int(version))


def check_role(role: Any) -> str:
    """Return ``role`` if it is a known run role, else raise MlopsUsageError."""
    if role not in ROLES:
        raise MlopsUsageError(f"Unknown dataset role {role!r}: use one of {', '.join(ROLES)}.")
    return str(role)


def check_tag_key(key: Any) -> str:
    """Return ``key`` if it can name a tag, else raise MlopsUsageError."""
    if not isinstance(key, str) or not key.strip():
        raise MlopsUsageError(f"A tag key must be a non-empty string, not {key!r}.")
    if len(key) > MAX_TAG_KEY or "\x00" in key:
        raise MlopsUsageError(
            f"Tag key {key[:40]!r} is too long or contains a NUL character; "
            f"use up to {MAX_TAG_KEY} characters."
        )
    return key
