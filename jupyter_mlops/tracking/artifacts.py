"""A run's files: artifacts (files, folders, bytes) and models, put into the artifact store and
recorded in the run."""

from __future__ import annotations

import json
import mimetypes
import os
import time
from pathlib import Path
from typing import Any

from jupyter_mlops.artifacts import ObjectInfo
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.store import Store
from jupyter_mlops.store import runs as q
from jupyter_mlops.tracking import flavors
from jupyter_mlops.tracking.checks import check_artifact_name
from jupyter_mlops.tracking.flavors import infer_signature


def artifact_row(
    run_id: str, path: str, info: ObjectInfo, kind: str, media_type: str | None
) -> dict[str, Any]:
    """The ``artifacts`` row of a stored object (the media type guessed from ``path``)."""
    return {
        "run_id": run_id,
        "path": path,
        "digest": info.digest,
        "size": info.size,
        "media_type": media_type or mimetypes.guess_type(path)[0] or "application/octet-stream",
        "kind": kind,
        "created_at": time.time(),
    }


def record_artifact(
    store: Store, run_id: str, path: str, info: ObjectInfo, kind: str, media_type: str | None
) -> None:
    """Record a stored object as the run's artifact ``path`` (replacing one of that path)."""
    row = artifact_row(run_id, path, info, kind, media_type)
    with store.write() as conn:
        q.upsert_artifacts(store, conn, [row])


def store_artifact(
    store: Store,
    run_id: str,
    source: str | os.PathLike[str] | bytes,
    name: str | None,
    *,
    kind: str,
    media_type: str | None,
) -> list[ObjectInfo]:
    """Store a file, a folder (each file under ``name/``) or bytes as artifacts of a run.

    Returns:
        The stored objects (one per file).

    Raises:
        MlopsUsageError: Bytes without a name, a missing file, or a name outside the run.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        if name is None:
            raise MlopsUsageError("Give a name when logging bytes: log_artifact(data, 'x.bin').")
        path = check_artifact_name(name)
        info = store.objects.put_bytes(bytes(source))
        record_artifact(store, run_id, path, info, kind, media_type)
        return [info]
    if not isinstance(source, str | os.PathLike):
        raise MlopsUsageError(
            f"log_artifact takes a path or bytes, not {type(source).__name__}: {source!r}."
        )
    src = Path(source)
    if not src.exists():
        raise MlopsUsageError(f"No file or folder {str(src)!r} to log as an artifact.")
    base = check_artifact_name(name if name is not None else src.name)
    if src.is_dir():
        stored: list[ObjectInfo] = []
        for file in sorted(p for p in src.rglob("*") if p.is_file()):
            rel = file.relative_to(src).as_posix()
            info = store.objects.put_file(file)
            record_artifact(store, run_id, f"{base}/{rel}", info, kind, None)
            stored.append(info)
        return stored
    info = store.objects.put_file(src)
    record_artifact(store, run_id, base, info, kind, media_type)
    return [info]


def store_model(
    store: Store,
    run_id: str,
    model: Any,
    name: str,
    *,
    input_example: Any = None,
    signature: dict[str, Any] | None = None,
) -> ObjectInfo:
    """Store a fitted model as the run's ``models/NAME.FORMAT`` artifact and logged model.

    Returns:
        The stored object.
    """
    serialized = flavors.save(model)
    if signature is None and input_example is not None:
        signature = infer_signature(input_example)
    info = store.objects.put_bytes(serialized.data)
    path = f"models/{name}.{serialized.format}"
    artifact = artifact_row(run_id, path, info, "model", serialized.media_type)
    with store.write() as conn:
        q.upsert_artifacts(store, conn, [artifact])
        q.upsert_logged_model(
            store,
            conn,
            {
                "run_id": run_id,
                "name": name,
                "digest": info.digest,
                "size": info.size,
                "flavor": serialized.flavor,
                "format": serialized.format,
                "class_name": serialized.class_name,
                "signature": json.dumps(signature) if signature else None,
                "created_at": time.time(),
            },
        )
    return info
