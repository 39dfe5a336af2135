"""A registered version loads as a predictor: the native model behind one ``predict(frame)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops.errors import MlopsError, UntrustedArtifactError
from jupyter_mlops.store import Store
from jupyter_mlops.tracking import flavors


class Doubler:
    """Not a scikit-learn estimator: saved as a pickle (the python flavor)."""

    def predict(self, frame: Any) -> Any:
        return np.asarray(frame)[:, 0] * 2


def test_a_sklearn_version_predicts_like_the_model_it_was(
    store: Store, make_run: Callable[..., str], data: tuple[Any, Any]
) -> None:
    X, y = data
    run_id = make_run()
    mlops.models.register(run_id, "churn", store=store)
    mlops.models.promote("churn", 1, to="staging", store=store)

    predictor = mlops.models.load_predictor("models:/churn@staging", store=store)

    assert (predictor.name, predictor.version, predictor.flavor) == ("churn", 1, "sklearn")
    assert predictor.uri == "models:/churn/1"
    assert isinstance(predictor.model, LogisticRegression)
    expected = LogisticRegression().fit(X, y).predict(X)
    assert (predictor.predict(pd.DataFrame(X)) == expected).all()
    assert predictor.signature is not None and predictor.signature["type"] == "array"


def test_a_pickled_model_needs_trust_to_load_as_a_predictor(store: Store) -> None:
    with mlops.start_run(store=store) as run:
        run.log_model(Doubler(), "model")
    mlops.models.register(run.id, "doubler", store=store)

    with pytest.raises(UntrustedArtifactError, match="pickle"):
        mlops.models.load_predictor("models:/doubler/1", store=store)
    predictor = mlops.models.load_predictor("models:/doubler/1", trusted=True, store=store)
    assert predictor.flavor == "python"
    assert list(predictor.predict(pd.DataFrame({"x": [1, 2]}))) == [2, 4]


def test_every_flavor_is_in_the_table_and_python_takes_what_is_left() -> None:
    names = [f.name for f in flavors.FLAVORS]
    assert names[-1] == "python" and len(set(names)) == len(names)
    assert flavors.flavor_for(Doubler()).name == "python"
    assert flavors.flavor_for(LogisticRegression()).name == "sklearn"
    with pytest.raises(MlopsError, match="No model flavor 'onnx'"):
        flavors.flavor_named("onnx")
