"""Exporting a registered model version to run elsewhere: a container, KServe or MLflow.

``mlops.models.export("models:/churn@production", "container", "out/")`` writes a folder:

- ``container``: a Docker build context. Its image runs ``jupyter-mlops serve`` on a store
  made for it (``project/.mlops``) holding only this version, under the same number, digest
  and stage, so the container answers exactly as ``jupyter-mlops serve`` does here.
- ``kserve``: a KServe ``InferenceService`` manifest. A scikit-learn model is written as
  ``model/model.joblib`` for KServe's own sklearn runtime (Open Inference Protocol, V2);
  any other flavor runs in our server's container (``container/``), which speaks V2 too.
- ``mlflow``: an MLflow model folder (``MLmodel`` with a ``python_function`` flavor) whose
  loader is :mod:`jupyter_mlops.models.mlflow_pyfunc`: the artifact's bytes are kept as
  they are and ``mlflow.pyfunc.load_model(folder).predict(X)`` predicts as we do.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from jupyter_mlops._version import __version__
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.models.loading import load
from jupyter_mlops.models.uri import parse_model_uri
from jupyter_mlops.store import Store, current_store, open_store
from jupyter_mlops.store import models as stored
from jupyter_mlops.tracking.environment import canonical_name

FORMATS = ("container", "kserve", "mlflow")
#: The port the container's server listens on.
CONTAINER_PORT = 8080
BASE_IMAGE = "python:3.11-slim"
#: What the model's artifact is called inside an mlflow export's data folder.
ARTIFACT_FILE = "model.bin"
META_FILE = "mlops-model.json"

#: The distributions each flavor needs to load and predict (beyond jupyter-mlops's own).
_FRAMEWORKS: dict[str, tuple[str, ...]] = {
    "sklearn": ("scikit-learn", "skops", "scipy", "numpy"),
    "xgboost": ("xgboost", "numpy"),
    "lightgbm": ("lightgbm", "numpy"),
    "catboost": ("catboost", "numpy"),
    "statsmodels": ("statsmodels", "numpy"),
    "keras": ("keras", "torch", "numpy"),
    "torch": ("torch", "numpy"),
    "python": ("numpy",),
}
#: Signature dtypes as MLflow's column types.
_MLFLOW_TYPES = {
    "int64": "long",
    "int32": "integer",
    "int16": "integer",
    "int8": "integer",
    "float64": "double",
    "float32": "float",
    "bool": "boolean",
    "object": "string",
    "string": "string",
    "str": "string",
}


@dataclass(frozen=True)
class Exported:
    """What an export wrote: the version, the folder, its files and how to run it."""

    name: str
    version: int
    uri: str
    stage: str | None
    format: str
    out: Path
    files: list[str]
    #: The command that serves the export (the container's CMD), or how to load it.
    command: list[str]


def export(
    uri: str,
    format: str,
    out: str | Path,
    *,
    trusted: bool = False,
    store: Store | None = None,
) -> Exported:
    """Write the version ``uri`` names into folder ``out`` in ``format``.

    Args:
        uri: ``models:/NAME@STAGE``, ``models:/NAME/VERSION`` or ``models:/NAME`` (latest).
        format: ``container``, ``kserve`` or ``mlflow``.
        out: a folder that does not exist yet, or is empty.
        trusted: allow a pickle artifact (loaded for a KServe sklearn export, served by the
            container with ``--trusted``, loaded by the MLflow export).

    Raises:
        MlopsUsageError: an unknown format, or ``out`` holds files already.
        NotFoundError: an unknown model, version or stage.
        ArtifactIntegrityError: the artifact no longer matches its digest.
    """
    if format not in FORMATS:
        raise MlopsUsageError(f"Unknown export format {format!r}: use one of {', '.join(FORMATS)}.")
    target = Path(out)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise MlopsUsageError(f"{target} is not an empty folder: export into a new one.")
    store = store or current_store()
    ref = parse_model_uri(uri)
    with store.read() as conn:
        version = stored.resolve(conn, ref.name, ref.version, ref.stage)
    data = store.objects.read_bytes(version.digest)  # checked against its digest
    # Written beside ``out`` and moved in whole: a failed export leaves no half folder.
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        if format == "container":
            command = _container(work, version, data, ref.stage)
        elif format == "kserve":
            command = _kserve(work, version, data, ref.stage, trusted=trusted, store=store)
        else:
            _mlflow(work, version, data, trusted=trusted)
            command = ["mlflow", "models", "serve", "-m", str(target.resolve())]
        if target.exists():
            target.rmdir()
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    files = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    return Exported(
        name=version.name,
        version=version.version,
        uri=f"models:/{version.name}/{version.version}",
        stage=ref.stage,
        format=format,
        out=target,
        files=files,
        command=command,
    )


# -- pinned requirements ---------------------------------------------------------------------


def requirements(version: stored.StoredModelVersion) -> list[str]:
    """``jupyter-mlops`` and the flavor's frameworks, pinned to the versions it was made with.

    A version comes from the environment recorded with the model's run; a distribution the
    run did not record is pinned to the version installed here.
    """
    recorded = (version.card.get("environment") or {}).get("packages") or {}
    by_name = {canonical_name(str(k)): str(v) for k, v in recorded.items()}
    lines = [f"jupyter-mlops=={__version__}"]
    for dist in _FRAMEWORKS.get(version.flavor, ()):
        pinned = by_name.get(canonical_name(dist))
        if pinned is None:
            try:
                pinned = md.version(dist)
            except md.PackageNotFoundError:
                lines.append(dist)
                continue
        lines.append(f"{dist}=={pinned}")
    return lines


def _meta(version: stored.StoredModelVersion) -> dict[str, Any]:
    return {
        "name": version.name,
        "version": version.version,
        "uri": f"models:/{version.name}/{version.version}",
        "digest": version.digest,
        "flavor": version.flavor,
        "format": version.format,
        "class_name": version.class_name,
        "signature": version.signature,
        "run_id": version.run_id,
    }


# -- container -------------------------------------------------------------------------------


def serve_command(version: stored.StoredModelVersion, stage: str | None) -> list[str]:
    """The container's CMD: serve the version (by its stage when exported by stage)."""
    uri = (
        f"models:/{version.name}@{stage}" if stage else f"models:/{version.name}/{version.version}"
    )
    command = ["jupyter-mlops", "serve", uri, "--host", "0.0.0.0", "--port", str(CONTAINER_PORT)]  # noqa: S104 - a container listens on its own interface
    if version.format == "pickle":
        command.append("--trusted")
    return command


def _container(
    folder: Path, version: stored.StoredModelVersion, data: bytes, stage: str | None
) -> list[str]:
    project = folder / "project"
    (project / ".mlops").mkdir(parents=True)
    embedded = open_store(
        f"sqlite:///{project / '.mlops' / 'mlops.db'}", str(project / ".mlops" / "objects")
    )
    try:
        embedded.objects.put_bytes(data)
        stored.install_version(embedded, version, [stage] if stage else [])
    finally:
        embedded.engine.dispose()
    for lock in (project / ".mlops").glob("*.migrate-lock"):
        lock.unlink()  # the store's own, while it was made: nothing to ship
    (folder / "requirements.txt").write_text("\n".join(requirements(version)) + "\n")
    command = serve_command(version, stage)
    label = f"models:/{version.name}/{version.version}" + (f" ({stage})" if stage else "")
    (folder / "Dockerfile").write_text(
        f"""\
# {label}, served by jupyter-mlops {__version__} (Open Inference Protocol V2, MLflow's
# /invocations, /metadata). Written by `jupyter-mlops models export --format container`.
#
#   docker build -t {_dns_name(version.name)}:{version.version} .
#   docker run -p {CONTAINER_PORT}:{CONTAINER_PORT} -e MLOPS_SERVE_TOKEN=SECRET \\
#       {_dns_name(version.name)}:{version.version}
#
# The server listens on all of the container's interfaces, so it answers only clients
# sending `Authorization: Bearer SECRET` (only /v2/health/live answers without it).
# project/ is a store holding this one version; logged traffic stays in its .mlops/.
FROM {BASE_IMAGE}
ENV PYTHONUNBUFFERED=1
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt
WORKDIR /srv/model
COPY project/ /srv/model/
EXPOSE {CONTAINER_PORT}
CMD {json.dumps(command)}
"""
    )
    (folder / META_FILE).write_text(json.dumps(_meta(version), indent=2) + "\n")
    return command


# -- kserve ----------------------------------------------------------------------------------


def _dns_name(name: str) -> str:
    """``name`` as an InferenceService name: lower case, digits and dashes, starting with a
    letter and ending with a letter or digit (KServe's rule), at most 53 characters (its
    services add ``-predictor`` and the whole must stay a 63-character DNS label)."""
    cleaned = "".join(c if c.isascii() and c.isalnum() else "-" for c in name.lower())
    cleaned = cleaned.strip("-") or "model"
    if not cleaned[0].isalpha():
        cleaned = f"m-{cleaned}"
    return cleaned[:53].rstrip("-")


def _kserve(
    folder: Path,
    version: stored.StoredModelVersion,
    data: bytes,
    stage: str | None,
    *,
    trusted: bool,
    store: Store,
) -> list[str]:
    name = _dns_name(version.name)
    annotations = {
        "mlops/model-uri": f"models:/{version.name}/{version.version}",
        "mlops/digest": version.digest,
    }
    if stage:
        annotations["mlops/stage"] = stage
    predictor: dict[str, Any]
    if version.flavor == "sklearn":
        import joblib  # type: ignore[import-untyped]  # start-up: only KServe sklearn needs it

        model = load(f"models:/{version.name}/{version.version}", trusted=trusted, store=store)
        (folder / "model").mkdir()
        joblib.dump(model, folder / "model" / "model.joblib")
        predictor = {
            "model": {
                "modelFormat": {"name": "sklearn"},
                "protocolVersion": "v2",
                "storageUri": f"pvc://mlops-models/{name}/{version.version}",
            }
        }
        command = ["kubectl", "apply", "-f", "inferenceservice.yaml"]
    else:
        _container(folder / "container", version, data, stage)
        predictor = {
            "containers": [
                {
                    "name": "kserve-container",
                    "image": f"{name}:{version.version}",
                    "args": serve_command(version, stage)[1:],
                    "command": ["jupyter-mlops"],
                    "ports": [{"containerPort": CONTAINER_PORT, "protocol": "TCP"}],
                    "env": [
                        {
                            "name": "MLOPS_SERVE_TOKEN",
                            "valueFrom": {
                                "secretKeyRef": {"name": f"{name}-serve-token", "key": "token"}
                            },
                        }
                    ],
                    # Open to the kubelet without the token (readiness needs it).
                    "livenessProbe": {
                        "httpGet": {"path": "/v2/health/live", "port": CONTAINER_PORT}
                    },
                }
            ]
        }
        command = ["kubectl", "apply", "-f", "inferenceservice.yaml"]
    manifest = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"predictor": predictor},
    }
    (folder / "inferenceservice.yaml").write_text(
        f"# models:/{version.name}/{version.version}: "
        + (
            "copy model/ to the storageUri below (or change it) before applying.\n"
            if version.flavor == "sklearn"
            else "build container/ as the image below and create the token secret first.\n"
        )
        + yaml.safe_dump(manifest, sort_keys=False)
    )
    (folder / META_FILE).write_text(json.dumps(_meta(version), indent=2) + "\n")
    return command


# -- mlflow ----------------------------------------------------------------------------------


def mlflow_signature(signature: dict[str, Any] | None) -> dict[str, Any] | None:
    """Our recorded signature as MLflow's (``inputs`` as a JSON text), or None."""
    if not signature:
        return None
    if signature.get("type") == "dataframe":
        inputs = [
            {
                "type": _MLFLOW_TYPES.get(str(c["dtype"]), "string"),
                "name": str(c["name"]),
                "required": True,
            }
            for c in signature.get("columns", [])
        ]
    elif signature.get("type") == "array":
        shape = [-1 if s is None else int(s) for s in signature.get("shape", [])]
        inputs = [{"type": "tensor", "tensor-spec": {"dtype": signature["dtype"], "shape": shape}}]
    else:
        return None
    return {"inputs": json.dumps(inputs), "outputs": None, "params": None}


def _mlflow(
    folder: Path, version: stored.StoredModelVersion, data: bytes, *, trusted: bool
) -> None:
    (folder / "data").mkdir()
    (folder / "data" / ARTIFACT_FILE).write_bytes(data)
    meta = {**_meta(version), "trusted": trusted}
    (folder / "data" / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    python = ".".join(str(p) for p in sys.version_info[:3])
    mlmodel: dict[str, Any] = {
        "flavors": {
            "python_function": {
                "loader_module": "jupyter_mlops.models.mlflow_pyfunc",
                "data": "data",
                "python_version": python,
                "env": {"virtualenv": "python_env.yaml"},
            }
        },
        "model_uuid": uuid.uuid4().hex,
        "metadata": {
            "mlops_uri": f"models:/{version.name}/{version.version}",
            "mlops_digest": version.digest,
            "mlops_flavor": version.flavor,
        },
    }
    signature = mlflow_signature(version.signature)
    if signature is not None:
        mlmodel["signature"] = signature
    (folder / "MLmodel").write_text(yaml.safe_dump(mlmodel, sort_keys=False))
    reqs = requirements(version)
    (folder / "requirements.txt").write_text("\n".join(reqs) + "\n")
    (folder / "python_env.yaml").write_text(
        yaml.safe_dump(
            {
                "python": python,
                "build_dependencies": ["pip"],
                "dependencies": ["-r requirements.txt"],
            },
            sort_keys=False,
        )
    )
