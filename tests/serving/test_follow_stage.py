"""The server follows its stage: promotions and rollbacks from any face reach it, without
dropping a request; a version that cannot serve leaves the last good one serving."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import requests
from sqlalchemy import delete

import jupyter_mlops as mlops
from jupyter_mlops.store import Store
from jupyter_mlops.store import tables as t

Iris = tuple[pd.DataFrame, pd.Series]


class Doubler:
    """Not a scikit-learn estimator: saved as a pickle, which needs trust to load."""

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(frame)[:, 0] * 2


def _version(url: str, iris: Iris) -> int:
    body = {"dataframe_records": iris[0][:1].to_dict("records")}
    answer = requests.post(f"{url}/invocations", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["model_version"])


def _wait_for(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the server did not follow the stage in time"
        time.sleep(0.05)


def _ready(url: str) -> dict[str, object]:
    answer = requests.get(f"{url}/v2/health/ready", timeout=10)
    assert answer.status_code == 200
    body: dict[str, object] = answer.json()
    return body


def test_a_promotion_and_a_rollback_reach_the_server(
    store: Store, register: Callable[..., int], serve: Callable[..., str], iris: Iris
) -> None:
    register()
    url = serve()
    assert _version(url, iris) == 1
    register(C=0.01)  # promoted to production
    _wait_for(lambda: _version(url, iris) == 2)
    mlops.models.rollback("iris", stage="production", store=store)
    _wait_for(lambda: _version(url, iris) == 1)
    assert _ready(url)["problem"] is None


def test_four_clients_see_no_failure_while_the_stage_moves_three_times(
    store: Store, register: Callable[..., int], serve: Callable[..., str], iris: Iris
) -> None:
    register()
    url = serve(poll_seconds=0.1)
    held: list[tuple[float, int]] = [(0.0, 1)]  # (since, version), by time
    answers: list[tuple[float, float, int]] = []  # (sent, received, version)
    failures: list[str] = []
    stop = threading.Event()
    rows = iris[0].sample(8, random_state=0)

    def client(seed: int) -> None:
        session = requests.Session()
        i = seed
        while not stop.is_set():
            body = {"dataframe_records": rows.iloc[[i % 8]].to_dict("records")}
            sent = time.time()
            try:
                answer = session.post(f"{url}/invocations", json=body, timeout=10)
            except requests.RequestException as exc:
                failures.append(repr(exc))
                continue
            if answer.status_code != 200:
                failures.append(answer.text)
                continue
            answers.append((sent, time.time(), int(answer.json()["model_version"])))
            i += 1

    clients = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for c in clients:
        c.start()
    started = time.time()
    time.sleep(6)
    register(C=0.01)
    held.append((time.time(), 2))
    time.sleep(8)
    register(C=0.1)
    held.append((time.time(), 3))
    time.sleep(8)
    mlops.models.rollback("iris", stage="production", store=store)
    held.append((time.time(), 2))
    time.sleep(max(0.0, 30 - (time.time() - started)))
    stop.set()
    for c in clients:
        c.join()

    assert failures == []
    assert len(answers) > 400
    # A swap takes one poll (0.1 s) plus loading and checking the new version.
    lag = 2.0

    def held_between(start: float, end: float) -> set[int]:
        return {v for i, (since, v) in enumerate(held) if since <= end and (
            i + 1 == len(held) or held[i + 1][0] >= start)}  # fmt: skip

    wrong = [a for a in answers if a[2] not in held_between(a[0] - lag, a[1])]
    assert wrong == []
    # Each move reached the server: the answers went 1, 2, 3, 2 in that order.
    order = [
        v for i, (_, _, v) in enumerate(sorted(answers)) if i == 0 or v != sorted(answers)[i - 1][2]
    ]
    assert order[0] == 1 and {1, 2, 3} <= set(order) and order[-1] == 2


def test_a_version_that_needs_trust_to_load_leaves_the_last_good_one_serving(
    register: Callable[..., int], serve: Callable[..., str], iris: Iris
) -> None:
    register()
    url = serve()
    register(model=Doubler())  # a pickle: this server was not started with --trusted
    _wait_for(lambda: _ready(url)["problem"] is not None)
    problem = str(_ready(url)["problem"])
    assert problem.startswith("version 2 holds stage 'production' but failed to load")
    assert "still serving version 1" in problem
    assert _version(url, iris) == 1


def test_a_corrupt_object_leaves_the_last_good_one_serving(
    store: Store, register: Callable[..., int], serve: Callable[..., str], iris: Iris
) -> None:
    register()
    url = serve()
    register(C=0.01, to=None)
    digest = mlops.models.get("iris", 2, store=store).digest
    path = store.objects.path_for(digest)
    os.chmod(path, 0o644)
    with open(path, "r+b") as f:  # one flipped byte: the digest no longer matches
        first = f.read(1)
        f.seek(0)
        f.write(bytes([first[0] ^ 0xFF]))
    mlops.models.promote("iris", 2, to="production", store=store, checks=["version >= 1"])
    _wait_for(lambda: _ready(url)["problem"] is not None)
    problem = str(_ready(url)["problem"])
    assert "is corrupt" in problem and "still serving version 1" in problem
    assert _version(url, iris) == 1


def test_a_model_removed_from_its_stage_keeps_serving_and_says_so(
    store: Store, register: Callable[..., int], serve: Callable[..., str], iris: Iris
) -> None:
    register()
    url = serve()
    with store.write() as conn:
        conn.execute(delete(t.model_stages))
    _wait_for(lambda: _ready(url)["problem"] is not None)
    assert _ready(url)["problem"] == (
        "no version of 'iris' holds stage 'production' any more; still serving version 1"
    )
    assert _version(url, iris) == 1
    meta = requests.get(f"{url}/metadata", timeout=10).json()
    assert meta["problem"] == _ready(url)["problem"]
