"""``models export --format kserve`` writes a manifest KServe accepts.

The schema (``kserve_inferenceservice.schema.json`` beside this file) is a subset of KServe's
own InferenceService CRD schema, with the name rule of its validating webhook; its
``$comment`` says where each part comes from.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LogisticRegression
from xgboost import XGBClassifier

import jupyter_mlops as mlops
from jupyter_mlops.store import Store, current_store

Iris = tuple[pd.DataFrame, pd.Series]
SCHEMA = json.loads((Path(__file__).parent / "kserve_inferenceservice.schema.json").read_text())


def _problems(manifest: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [
        f"{'.'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(manifest)
    ]


def _export(store: Store, name: str, model: Any, X: pd.DataFrame, out: Path) -> dict[str, Any]:
    with mlops.start_run(store=store) as run:
        run.log_model(model, "model", input_example=X[:3])
    mlops.models.register(run.id, name, store=store)
    mlops.models.promote(name, 1, to="production", checks=["version >= 1"], store=store)
    mlops.models.export(f"models:/{name}@production", "kserve", out, store=store)
    manifest: dict[str, Any] = yaml.safe_load((out / "inferenceservice.yaml").read_text())
    return manifest


def test_the_sklearn_manifest_validates(store_dir: Path, iris: Iris, tmp_path: Path) -> None:
    X, y = iris
    model = LogisticRegression(max_iter=500).fit(X, y)
    manifest = _export(current_store(), "churn", model, X, tmp_path / "k")
    assert _problems(manifest) == []
    assert manifest["spec"]["predictor"]["model"]["modelFormat"] == {"name": "sklearn"}


@pytest.mark.parametrize(
    ("name", "resource"),
    [
        ("Iris_XGB.v2", "iris-xgb-v2"),
        ("2024_churn", "m-2024-churn"),  # a resource name starts with a letter
        ("churnx" + "_x" * 30, "churnx" + "-x" * 23),  # cut to 53 characters, no dash last
    ],
)
def test_the_custom_container_manifest_validates_whatever_the_models_name(
    store_dir: Path, iris: Iris, tmp_path: Path, name: str, resource: str
) -> None:
    X, y = iris
    model = XGBClassifier(n_estimators=3).fit(X, y)
    manifest = _export(current_store(), name, model, X, tmp_path / "k")
    assert _problems(manifest) == []
    assert manifest["metadata"]["name"] == resource
    (container,) = manifest["spec"]["predictor"]["containers"]
    assert container["env"][0]["valueFrom"]["secretKeyRef"]["name"] == f"{resource}-serve-token"


def test_the_schema_refuses_what_kserve_refuses(
    store_dir: Path, iris: Iris, tmp_path: Path
) -> None:
    X, y = iris
    good = _export(
        current_store(), "churn", LogisticRegression(max_iter=500).fit(X, y), X, tmp_path / "k"
    )
    bad = copy.deepcopy(good)
    bad["metadata"]["name"] = "Churn"
    bad["spec"]["predictor"]["model"]["protocolVersion"] = "v3"
    bad["spec"]["predictor"]["model"]["format"] = "sklearn"  # not a field of KServe's
    del bad["spec"]["predictor"]["model"]["modelFormat"]["name"]
    problems = _problems(bad)
    assert len(problems) == 4, problems
    assert any(p.startswith("metadata.name: 'Churn' does not match") for p in problems)
    assert any("'format' was unexpected" in p for p in problems)
