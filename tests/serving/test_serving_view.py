"""What the Models tab reads: which servers serve a model's versions and their traffic."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
import requests

from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.services import serving
from jupyter_mlops.serving.presence import ALIVE_S, Presence
from jupyter_mlops.store import Store
from jupyter_mlops.store.serving import renew_server

Iris = tuple[pd.DataFrame, pd.Series]


def _until(check: Callable[[], Any], seconds: float = 15.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_a_server_shows_while_it_runs_with_its_versions_traffic(
    store: Store, register: Callable[..., int], serve: Callable[..., str], iris: Iris
) -> None:
    register()
    assert serving.model_serving(store, "iris").servers == []
    url = serve()
    (server,) = serving.model_serving(store, "iris").servers
    assert (server.url, server.stage, server.version, server.up) == (url, "production", 1, True)

    rows = iris[0][:2].to_dict(orient="split")
    for _ in range(5):
        body = {"dataframe_split": {"columns": rows["columns"], "data": rows["data"]}}
        assert requests.post(f"{url}/invocations", json=body, timeout=10).status_code == 200
    traffic = _until(lambda: serving.model_serving(store, "iris").traffic)
    (v1,) = traffic
    assert (v1.version, v1.requests, v1.rows) == (1, 5, 10)
    assert 0 < v1.p50_ms <= v1.p99_ms < 1000
    assert time.time() - 60 < v1.last_request <= time.time()

    register(C=0.1)  # version 2 takes production; the server swaps and says so
    _until(lambda: requests.get(f"{url}/metadata", timeout=10).json()["version"] == 2)
    assert requests.post(f"{url}/invocations", json=body, timeout=10).status_code == 200
    view = _until(
        lambda: (
            (v := serving.model_serving(store, "iris")).servers[0].version == 2
            and len(v.traffic) == 2
            and v
        )
    )
    assert [t.version for t in view.traffic] == [2, 1]
    assert view.traffic[0].requests == 1

    serving.stop(url)
    view = serving.model_serving(store, "iris")
    assert view.servers == []  # stopped: gone; its traffic stays
    assert [t.requests for t in view.traffic] == [1, 5]


def test_a_killed_servers_row_grows_old(store: Store, register: Callable[..., int]) -> None:
    register()
    presence = Presence(store, "dead", "iris", "production", "http://127.0.0.1:1", lambda: 1)
    presence._announce()  # what start() writes; no thread renews it, as after a SIGKILL
    (server,) = serving.model_serving(store, "iris").servers
    assert server.up
    renew_server(store, "dead", 1, time.time() - ALIVE_S - 1)  # its last beat, long ago
    (server,) = serving.model_serving(store, "iris").servers
    assert not server.up and server.url == "http://127.0.0.1:1"


def test_an_unknown_model_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        serving.model_serving(store, "nope")
