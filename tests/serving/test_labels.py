"""Labels that arrive later join the logged traffic by request id: performance on what the
model actually served."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
import requests

import jupyter_mlops as mlops
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.services import serving
from jupyter_mlops.store import Store

Iris = tuple[pd.DataFrame, pd.Series]
SOURCE = "serving:iris@production"


def test_labels_join_the_traffic_and_measure_the_served_model(
    store: Store, register: Callable[..., int], serve: Callable[..., str], iris: Iris
) -> None:
    register()
    url = serve()
    X, y = iris
    session = requests.Session()
    ids = {}
    for i in range(0, 150, 5):  # one row per request
        body = {"dataframe_records": X.iloc[[i]].to_dict("records")}
        ids[session.post(f"{url}/invocations", json=body, timeout=10).headers["X-Request-Id"]] = i
    serving.stop(url)
    with pytest.raises(MlopsUsageError, match="has a label yet"):
        mlops.monitor.labelled(SOURCE, store=store)

    first = list(ids)[:20]
    assert mlops.monitor.log_labels(SOURCE, {r: 0 for r in first}, store=store) == 20
    assert len(mlops.monitor.labelled(SOURCE, store=store)) == 20  # only labelled rows
    # Corrected outcomes arrive later: the latest label of a request wins.
    assert mlops.monitor.log_labels(
        SOURCE, {r: int(y.iloc[i]) for r, i in ids.items()}, store=store
    )
    joined = mlops.monitor.labelled(SOURCE, window="1h", target="species", store=store)
    assert sorted(joined["mlops.request_id"]) == sorted(ids)
    assert list(joined["species"]) == [int(y.iloc[ids[r]]) for r in joined["mlops.request_id"]]

    report = mlops.monitor.performance(
        "models:/iris@production",
        joined[[*X.columns, "species"]],
        target="species",
        reference=X.assign(species=y),
        log=False,
        store=store,
    )
    assert report.current["accuracy"] >= 0.9


def test_labels_without_the_columns_they_need_are_refused(store: Store) -> None:
    with pytest.raises(MlopsUsageError, match=r"missing: label"):
        mlops.monitor.log_labels(SOURCE, pd.DataFrame({"request_id": ["a"]}), store=store)
    with pytest.raises(MlopsUsageError, match="No labels given"):
        mlops.monitor.log_labels(SOURCE, {}, store=store)
    with pytest.raises(MlopsUsageError, match="expected serving:NAME@STAGE"):
        mlops.monitor.log_labels("models:/iris@production", {"a": 1}, store=store)
