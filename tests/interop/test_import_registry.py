"""``import mlflow`` of registered models: versions, aliases and old stages as stages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops.store import Store
from tests.interop.conftest import Source

pytestmark = [
    pytest.mark.filterwarnings(r"ignore:::mlflow(\.|$)"),
    # Setting an old-style stage is what this test is about: MLflow deprecates the call.
    pytest.mark.filterwarnings("ignore:.*transition_model_version_stage:FutureWarning"),
]


def test_registered_versions_come_over_with_aliases_and_stages_as_stages(
    store: Store,
    make_source: Callable[[str], Source],
    mlflow_client: Callable[[str], object],
    tmp_path: Path,
) -> None:
    import mlflow.sklearn

    src = make_source("sqlite")
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    fitted = [LogisticRegression(C=c).fit(X, y) for c in (0.1, 10.0)]
    c = mlflow_client(src.uri)
    for i, (run, model) in enumerate(zip((src.parent, src.child), fitted, strict=True)):
        folder = tmp_path / f"saved-{i}"
        mlflow.sklearn.save_model(model, str(folder), serialization_format="cloudpickle")
        c.log_artifacts(run, str(folder), "model")  # type: ignore[attr-defined]
    c.create_registered_model("churn-model", description="churn scorer")  # type: ignore[attr-defined]
    for run in (src.parent, src.child):
        c.create_model_version("churn-model", f"runs:/{run}/model", run_id=run)  # type: ignore[attr-defined]
    c.set_registered_model_alias("churn-model", "champion", "2")  # type: ignore[attr-defined]
    c.set_registered_model_alias("churn-model", "shadow", "1")  # type: ignore[attr-defined]
    c.transition_model_version_stage("churn-model", "1", "Staging")  # type: ignore[attr-defined]

    report = mlops.interop.import_mlflow(src.uri, store=store)

    assert (report.model_versions, report.stages_set) == (2, 2)
    prod = mlops.models.get("models:/churn-model@production", store=store)
    assert prod.version == 2 and prod.run_id == src.child
    assert prod.tags["mlflow.model_version"] == "churn-model/2"
    assert prod.description == "churn scorer"
    assert mlops.models.get("models:/churn-model@staging", store=store).version == 1
    loaded = mlops.models.load("models:/churn-model@production", trusted=True, store=store)
    assert np.array_equal(loaded.predict(X), fitted[1].predict(X))
    assert any("alias @shadow has no stage" in line for line in report.not_mapped)

    again = mlops.interop.import_mlflow(src.uri, store=store)
    assert (again.model_versions, again.stages_set) == (0, 0)
    assert len(mlops.models.list_versions("churn-model", store=store)) == 2
