"""MLflow's tracking REST API over our store, so unmodified MLflow client code logs here.

:func:`answer` takes one request of ``/api/2.0/mlflow/...`` (method, path below that prefix,
the JSON body or query as a dict) and gives the JSON answer, or raises
:class:`~jupyter_mlops.services.mlflow_api.errors.MlflowApiError` in MLflow's error shape.
The artifact service (``/api/2.0/mlflow-artifacts/artifacts/...``) is
:mod:`~jupyter_mlops.services.mlflow_api.artifacts`. The REST faces (the Jupyter server
extension under ``/mlops/mlflow`` and ``jupyter-mlops server``) only parse and render.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jupyter_mlops.errors import MlopsError
from jupyter_mlops.services.mlflow_api import (
    experiments,
    logged_models,
    registry,
    search,
    tracking,
)
from jupyter_mlops.services.mlflow_api.errors import (
    MlflowApiError,
    as_mlflow_error,
    body,
)
from jupyter_mlops.services.mlflow_api.wire import Payload
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import open_store as open_project_store

__all__ = ["ENDPOINTS", "MlflowApiError", "answer", "as_mlflow_error", "body", "open_store"]

Call = Callable[..., Payload]


def _ok(store: Store, payload: Payload) -> Payload:
    return {}


def _no_deletes(what: str) -> Call:
    def refuse(store: Store, *args: Any) -> Payload:
        raise MlflowApiError(
            "NOT_IMPLEMENTED", f"{what} is not supported by jupyter_mlops's MLflow API."
        )

    return refuse


#: (method, path below ``/api/2.0/mlflow/``, service function). A path's ``(?P<...>)`` groups
#: are passed before the request's payload.
ENDPOINTS: tuple[tuple[str, str, Call], ...] = (
    ("POST", "experiments/create", experiments.create_experiment),
    ("GET", "experiments/get", experiments.get_experiment),
    ("GET", "experiments/get-by-name", experiments.get_experiment_by_name),
    ("POST", "experiments/search", experiments.search_experiments),
    ("GET", "experiments/search", experiments.search_experiments),
    ("POST", "experiments/update", experiments.update_experiment),
    ("POST", "experiments/delete", _no_deletes("Deleting an experiment")),
    ("POST", "experiments/restore", _no_deletes("Restoring an experiment")),
    ("POST", "experiments/set-experiment-tag", experiments.set_experiment_tag),
    ("POST", "experiments/delete-experiment-tag", experiments.delete_experiment_tag),
    ("POST", "runs/create", tracking.create_run),
    ("POST", "runs/update", tracking.update_run),
    ("GET", "runs/get", tracking.get_run),
    ("POST", "runs/search", search.search_runs),
    ("POST", "runs/log-batch", tracking.log_batch),
    ("POST", "runs/log-metric", tracking.log_metric),
    ("POST", "runs/log-parameter", tracking.log_param),
    ("POST", "runs/set-tag", tracking.set_tag),
    ("POST", "runs/delete-tag", tracking.delete_tag),
    ("POST", "runs/log-model", tracking.log_model),
    ("POST", "runs/log-inputs", tracking.log_inputs),
    ("POST", "runs/outputs", _ok),
    ("POST", "runs/delete", tracking.delete_run),
    ("POST", "runs/restore", tracking.restore_run),
    ("GET", "metrics/get-history", tracking.get_metric_history),
    ("POST", "logged-models", logged_models.create),
    ("POST", "logged-models/search", logged_models.search),
    ("GET", "logged-models/(?P<model_id>[^/]+)", logged_models.get),
    ("PATCH", "logged-models/(?P<model_id>[^/]+)", logged_models.finalize),
    ("PATCH", "logged-models/(?P<model_id>[^/]+)/tags", logged_models.set_tags),
    ("DELETE", "logged-models/(?P<model_id>[^/]+)/tags/(?P<key>.+)", logged_models.delete_tag),
    ("POST", "logged-models/(?P<model_id>[^/]+)/params", logged_models.log_params),
    ("POST", "registered-models/create", registry.create_registered_model),
    ("GET", "registered-models/get", registry.get_registered_model),
    ("PATCH", "registered-models/update", registry.update_registered_model),
    ("GET", "registered-models/search", registry.search_registered_models),
    ("POST", "registered-models/get-latest-versions", registry.get_latest_versions),
    ("GET", "registered-models/get-latest-versions", registry.get_latest_versions),
    ("POST", "registered-models/set-tag", registry.set_model_tag),
    ("DELETE", "registered-models/delete-tag", registry.delete_model_tag),
    ("POST", "registered-models/alias", registry.set_alias),
    ("DELETE", "registered-models/alias", registry.delete_alias),
    ("GET", "registered-models/alias", registry.get_by_alias),
    ("POST", "model-versions/create", registry.create_model_version),
    ("GET", "model-versions/get", registry.get_model_version),
    ("GET", "model-versions/search", registry.search_model_versions),
    ("GET", "model-versions/get-download-uri", registry.download_uri),
    ("POST", "model-versions/set-tag", registry.set_version_tag),
    ("DELETE", "model-versions/delete-tag", registry.delete_version_tag),
)

_COMPILED = [(m, re.compile(p), f) for m, p, f in ENDPOINTS]


def answer(store: Store, method: str, path: str, payload: Payload) -> Payload:
    """The JSON answer to ``method`` on ``/api/2.0/mlflow/<path>`` with ``payload``.

    Raises:
        MlflowApiError: in MLflow's error shape (ENDPOINT_NOT_FOUND for a path or method this
            server does not offer); our own errors are translated by :func:`as_mlflow_error`
            (an unknown run is RESOURCE_DOES_NOT_EXIST, a bad filter INVALID_PARAMETER_VALUE).
    """
    path = path.strip("/")
    known = False
    for verb, pattern, call in _COMPILED:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        known = True
        if verb == method:
            try:
                return call(store, *match.groups(), payload)
            except MlopsError as exc:
                translated = as_mlflow_error(exc)
                if translated is None or translated is exc:
                    raise
                raise translated from exc
    if known:
        raise MlflowApiError("ENDPOINT_NOT_FOUND", f"{method} is not allowed on {path}.")
    raise MlflowApiError(
        "ENDPOINT_NOT_FOUND", f"jupyter_mlops does not offer MLflow's endpoint {path!r}."
    )


def open_store(uri: str | None = None) -> Store:
    """The store to serve: the one at ``uri`` (``sqlite:///...``, ``postgresql+psycopg://...``),
    else the working directory's project's."""
    return open_project_store(uri) if uri else current_store()
