"""MLflow's loader for a model exported with ``--format mlflow`` (``MLmodel``'s loader_module).

``mlflow.pyfunc.load_model(folder)`` calls :func:`_load_pyfunc` with the export's ``data``
folder: the artifact is read as it was registered (checked against its digest) and loaded
by its flavor, so it predicts exactly as ``jupyter-mlops serve`` does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jupyter_mlops.artifacts.digests import hash_bytes
from jupyter_mlops.errors import ArtifactIntegrityError
from jupyter_mlops.tracking import flavors


class ExportedModel:
    """An exported version, answering ``predict`` as MLflow's pyfunc models do."""

    def __init__(self, meta: dict[str, Any], model: Any) -> None:
        self.meta = meta
        self.model = model

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        """The model's predictions for the rows of ``model_input``."""
        return flavors.flavor_named(self.meta["flavor"]).predict(self.model, model_input)


def _load_pyfunc(data_path: str) -> ExportedModel:
    folder = Path(data_path)
    meta = json.loads((folder / "mlops-model.json").read_text())
    data = (folder / "model.bin").read_bytes()
    if hash_bytes(data) != meta["digest"]:
        raise ArtifactIntegrityError(
            f"{folder / 'model.bin'} does not match the digest of {meta['uri']}; export it again.",
            digest=meta["digest"],
        )
    # A pickle loads only when it was exported with trusted=True (--trusted).
    trusted = bool(meta.get("trusted"))
    model = flavors.load(data, flavor=meta["flavor"], format=meta["format"], trusted=trusted)
    return ExportedModel(meta, model)
