"""The loop closes: drift is checked on the traffic a server logged, against the data the
served model was trained on (found through lineage)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
import requests
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.services import serving
from jupyter_mlops.store import Store

Iris = tuple[pd.DataFrame, pd.Series]
PETAL = "petal length (cm)"


@pytest.fixture
def trained(store: Store, iris: Iris) -> None:
    """Version 1 of ``iris``, trained on the dataset ``iris-train``, in production and staging."""
    X, y = iris
    with mlops.start_run(store=store) as run:
        run.log_dataset(X.assign(target=y), "iris-train", role="training")
        run.log_model(LogisticRegression(max_iter=500).fit(X, y), "model", input_example=X[:3])
    mlops.models.register(run.id, "iris", store=store)
    mlops.models.promote("iris", 1, to="staging", store=store)
    mlops.models.promote("iris", 1, to="production", store=store, checks=["version >= 1"])


def _traffic(url: str, rows: pd.DataFrame) -> None:
    session = requests.Session()
    for i in range(0, len(rows), 10):
        body = {"dataframe_records": rows.iloc[i : i + 10].to_dict("records")}
        assert session.post(f"{url}/invocations", json=body, timeout=10).status_code == 200
    serving.stop(url)


@pytest.mark.usefixtures("trained")
def test_drift_reads_logged_traffic_against_the_training_data(
    store: Store, serve: Callable[..., str], iris: Iris
) -> None:
    X = iris[0]
    _traffic(serve("models:/iris@production"), X.sample(150, random_state=1))
    shifted = X.sample(150, random_state=2).assign(**{PETAL: lambda f: f[PETAL] + 3.0})
    _traffic(serve("models:/iris@staging"), shifted)

    calm = mlops.monitor.drift(
        "training", "serving:iris@production", window="1h", log=False, store=store
    )
    assert calm.n_current == 150 and calm.n_reference == 150
    assert calm.columns == list(X.columns)  # the label is not an input the server sees
    assert calm.drifted_columns == []

    drifted = mlops.monitor.drift(X, "serving:iris@staging", window="24h", log=False, store=store)
    assert PETAL in drifted.drifted_columns


@pytest.mark.usefixtures("trained")
def test_text_sources_that_cannot_be_read_say_what_to_give(store: Store, iris: Iris) -> None:
    with pytest.raises(MlopsUsageError, match="No traffic logged for serving:iris@production"):
        mlops.monitor.drift("training", "serving:iris@production", log=False, store=store)
    with pytest.raises(MlopsUsageError, match="give a DataFrame, a profile or 'training'"):
        mlops.monitor.drift("last week", "serving:iris@production", store=store)
    with pytest.raises(MlopsUsageError, match="give a DataFrame or 'serving:NAME@STAGE'"):
        mlops.monitor.drift(iris[0], "production", store=store)
    with pytest.raises(MlopsUsageError, match="window applies to current="):
        mlops.monitor.drift(iris[0], iris[0], window="1h", store=store)
