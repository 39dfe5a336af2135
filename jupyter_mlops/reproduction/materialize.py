"""Put the recorded data back where the original run read it, from the content-addressed store.

Each file a tracked cell read (a ``kind="file"`` run input) is written into the reproduction's
working folder at the path the run recorded (relative to the original working folder), from
the object with the recorded digest, which is verified while it is copied. A run input
outside the original working folder (an absolute path) is used in place when it still holds
the recorded bytes. A missing or corrupt object fails with a :class:`DataUnavailable` naming
the dataset.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from jupyter_mlops.artifacts.cas import ObjectStore, hash_file
from jupyter_mlops.errors import ArtifactIntegrityError, NotFoundError, RecordUnavailable
from jupyter_mlops.store.records import InputRecord


class DataUnavailable(RecordUnavailable):
    """A recorded data version cannot be restored (object missing, corrupt, or never stored)."""


@dataclass(frozen=True)
class RestoredFile:
    """A data file as restored for the reproduction."""

    source: str
    digest: str
    dataset: str
    path: str


def _name(item: InputRecord, datasets: dict[str, str]) -> str:
    known = datasets.get(item.digest)
    return f"{item.source} (dataset {known})" if known else item.source


def _copy(objects: ObjectStore, digest: str, target: Path, name: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with objects.spool(digest) as src, open(target, "wb") as out:
            shutil.copyfileobj(src, out)
    except NotFoundError as exc:
        raise DataUnavailable(
            f"The recorded data {name} is not in the artifact store (object {digest[:12]} "
            "is missing); the run cannot be reproduced from its record.",
            dataset=name,
            digest=digest,
        ) from exc
    except ArtifactIntegrityError as exc:
        raise DataUnavailable(
            f"The recorded data {name} is corrupt in the artifact store (object {digest[:12]} "
            "does not match its digest); the run cannot be reproduced from its record.",
            dataset=name,
            digest=digest,
        ) from exc


def _inside(folder: Path, source: str) -> Path | None:
    rel = PurePosixPath(source)
    if rel.is_absolute() or ".." in rel.parts:
        return None
    return folder.joinpath(*rel.parts)


def restore_inputs(
    inputs: list[InputRecord],
    folder: Path,
    objects: ObjectStore,
    *,
    datasets: dict[str, str] | None = None,
) -> list[RestoredFile]:
    """Write every file input of a run into ``folder`` at its recorded relative path.

    Args:
        inputs: The run's inputs (only ``kind="file"`` ones are restored).
        folder: The reproduction's working folder.
        objects: The artifact store holding the recorded bytes.
        datasets: digest -> ``name vN`` of the dataset versions the run read, for messages.

    Raises:
        DataUnavailable: a file's bytes were not stored (too big), or its object is missing
            or corrupt; the message names the dataset.
    """
    named = datasets or {}
    restored: list[RestoredFile] = []
    seen: set[str] = set()
    for item in inputs:
        if item.kind != "file" or item.source in seen:
            continue
        seen.add(item.source)
        name = _name(item, named)
        target = _inside(folder, item.source)
        if item.info.get("stored") is False:
            raise DataUnavailable(
                f"The recorded data {name} was only fingerprinted (larger than "
                "capture_max_file_bytes), so the run cannot be reproduced from its record.",
                dataset=name,
                digest=item.digest,
            )
        if target is None:
            if os.path.isfile(item.source) and hash_file(item.source) == item.digest:
                restored.append(RestoredFile(item.source, item.digest, name, item.source))
                continue
            raise DataUnavailable(
                f"The recorded data {name} was read outside the project folder and no longer "
                "holds the recorded bytes; the run cannot be reproduced from its record.",
                dataset=name,
                digest=item.digest,
            )
        files = item.info.get("files")
        if isinstance(files, dict):  # a folder: each of its files
            for rel, digest in sorted(files.items()):
                _copy(objects, str(digest), target.joinpath(*PurePosixPath(rel).parts), name)
        else:
            _copy(objects, item.digest, target, name)
        restored.append(RestoredFile(item.source, item.digest, name, str(target)))
    return restored
