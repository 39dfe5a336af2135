"""Model URIs: ``models:/NAME/VERSION``, ``models:/NAME@STAGE`` and ``models:/NAME`` (latest)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from jupyter_mlops.errors import MlopsUsageError

SCHEME = "models:/"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")
STAGE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_FORMS = "models:/NAME/VERSION, models:/NAME@STAGE or models:/NAME (latest version)"


@dataclass(frozen=True)
class ModelURI:
    """A parsed model reference: exactly one of ``version`` and ``stage``, or neither (latest)."""

    name: str
    version: int | None = None
    stage: str | None = None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{SCHEME}{self.name}/{self.version}"
        if self.stage is not None:
            return f"{SCHEME}{self.name}@{self.stage}"
        return f"{SCHEME}{self.name}"


def check_name(name: object) -> str:
    """Return ``name`` if it is a valid registered-model name, else raise MlopsUsageError."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise MlopsUsageError(
            f"Invalid model name {name!r}: use letters, digits, '_', '.' or '-' "
            "(starting with a letter or digit, at most 255 characters)."
        )
    return name


def check_stage(stage: object) -> str:
    """Return ``stage`` if it is a valid stage name (an identifier usable in gates)."""
    if not isinstance(stage, str) or not STAGE_RE.match(stage):
        raise MlopsUsageError(
            f"Invalid stage {stage!r}: a stage is a word of letters, digits and '_' "
            "starting with a letter, such as 'staging' or 'production'."
        )
    return stage


def check_version(version: object) -> int:
    """Return ``version`` as a positive int (``3`` or ``'3'``), else raise MlopsUsageError."""
    if isinstance(version, bool):
        raise MlopsUsageError(f"A model version is a positive integer, not {version!r}.")
    if isinstance(version, str) and version.strip().isdigit():
        version = int(version.strip())
    if not isinstance(version, int) or version < 1:
        raise MlopsUsageError(f"A model version is a positive integer, not {version!r}.")
    return version


def parse_model_uri(uri: str) -> ModelURI:
    """Parse ``models:/NAME/VERSION``, ``models:/NAME@STAGE``, ``models:/NAME[/latest]``.

    Raises:
        MlopsUsageError: naming the accepted forms.
    """
    if not isinstance(uri, str) or not uri.startswith(SCHEME):
        raise MlopsUsageError(f"Invalid model URI {uri!r}: expected {_FORMS}.")
    rest = uri[len(SCHEME) :]
    try:
        if "@" in rest:
            name, stage = rest.split("@", 1)
            return ModelURI(check_name(name), stage=check_stage(stage))
        if "/" in rest:
            name, version = rest.split("/", 1)
            if version == "latest":
                return ModelURI(check_name(name))
            return ModelURI(check_name(name), version=check_version(version))
        return ModelURI(check_name(rest))
    except MlopsUsageError as exc:
        raise MlopsUsageError(f"Invalid model URI {uri!r}: {exc} Expected {_FORMS}.") from None
