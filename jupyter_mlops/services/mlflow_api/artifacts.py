"""MLflow's proxied artifact service (``mlflow-artifacts``) over a run's artifacts.

MLflow's client puts a run's files under ``<experiment>/<run id>/artifacts/<path>`` and a
logged model's under ``<experiment>/models/<model id>/artifacts/<path>``: the first become
the run's artifact ``<path>``, the second its artifact ``models/<model id>/<path>`` (the run
that logged the model; see :mod:`~jupyter_mlops.services.mlflow_api.logged_models`). Each file
goes into the content-addressed store; a download is verified against its digest.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.services.mlflow_api import logged_models
from jupyter_mlops.services.mlflow_api.errors import invalid, missing
from jupyter_mlops.services.mlflow_api.tracking import existing_run
from jupyter_mlops.store import Store
from jupyter_mlops.store.runs import load_run
from jupyter_mlops.tracking.artifacts import record_artifact
from jupyter_mlops.tracking.checks import check_artifact_name

__all__ = ["Download", "Where", "download", "list_files", "locate", "upload"]


@dataclass(frozen=True)
class Where:
    """A path of the artifact service as a run and a path among its artifacts (may be "")."""

    run_id: str
    path: str


@dataclass(frozen=True)
class Download:
    """A file to send: its bytes and media type."""

    data: bytes
    media_type: str


def locate(store: Store, path: str) -> Where:
    """The run and artifact path an artifact-service path names.

    Raises:
        MlflowApiError: not a path this server gave out (INVALID_PARAMETER_VALUE), or an
            unknown run or logged model (RESOURCE_DOES_NOT_EXIST).
    """
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) >= 4 and parts[1] == "models" and parts[3] == "artifacts":
        holder = logged_models.holder_run(store, parts[2])
        rest = "/".join(parts[4:])
        return Where(holder, f"{logged_models.PREFIX}/{parts[2]}" + (f"/{rest}" if rest else ""))
    if len(parts) >= 3 and parts[2] == "artifacts":
        return Where(existing_run(store, parts[1]), "/".join(parts[3:]))
    raise invalid(
        f"Artifact path {path!r} is not one this server gave out: it is "
        "<experiment>/<run id>/artifacts/<path>."
    )


def _checked(path: str) -> str:
    try:
        return check_artifact_name(path)
    except MlopsUsageError as exc:
        raise invalid(str(exc)) from None


def upload(store: Store, path: str, data: bytes) -> None:
    """Store ``data`` as the file at artifact-service ``path`` (replacing one there)."""
    where = locate(store, path)
    name = _checked(where.path)
    info = store.objects.put_bytes(data)
    media = mimetypes.guess_type(name)[0]
    record_artifact(store, where.run_id, name, info, "artifact", media)


def download(store: Store, path: str) -> Download:
    """The file at artifact-service ``path``, read and verified.

    Raises:
        MlflowApiError: no such file (RESOURCE_DOES_NOT_EXIST).
    """
    where = locate(store, path)
    for art in load_run(store, where.run_id).artifacts:
        if art.path == where.path:
            return Download(store.objects.read_bytes(art.digest), art.media_type)
    raise missing(f"No artifact {where.path!r} in run {where.run_id}.")


def list_files(store: Store, path: str) -> dict[str, object]:
    """What is directly inside artifact-service folder ``path``: MLflow's ``files`` list.

    A file, or a folder with nothing in it, lists nothing (as MLflow's servers do).
    """
    where = locate(store, path)
    base = where.path.strip("/")
    prefix = f"{base}/" if base else ""
    files: dict[str, int] = {}
    folders: set[str] = set()
    for art in load_run(store, where.run_id).artifacts:
        if not art.path.startswith(prefix):
            continue
        rest = art.path[len(prefix) :]
        head, _, tail = rest.partition("/")
        if tail:
            folders.add(head)
        else:
            files[head] = art.size
    listed = [{"path": name, "is_dir": True} for name in sorted(folders)]
    listed += [{"path": name, "is_dir": False, "file_size": size} for name, size in files.items()]
    return {"files": sorted(listed, key=lambda f: str(f["path"]))}
