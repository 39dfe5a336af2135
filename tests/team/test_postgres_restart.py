"""The database restarts in the middle of a run: logging resumes, or fails clearly and
keeps what was not written for the next flush; nothing is half-written."""

from __future__ import annotations

import threading
import time

import pytest
from _postgres import PostgresServer

import jupyter_mlops as mlops
from jupyter_mlops.errors import StoreError
from jupyter_mlops.store import Store
from jupyter_mlops.store import metric_history as mh
from jupyter_mlops.store import runs as q

# In an empty folder (store_dir): runs capture the git state of where they start.
pytestmark = [
    pytest.mark.parametrize("backend", ["postgresql"]),
    pytest.mark.usefixtures("store_dir"),
]


def started(store: Store, name: str) -> mlops.Run:
    run = mlops.start_run(name, store=store)
    run.wait_for_environment()  # its background write must not meet the outage
    return run


def steps(store: Store, run_id: str) -> list[int]:
    return [point.step for point in mh.metric_history(store, run_id, "loss")]


def test_a_restart_between_logs_is_invisible_to_the_run(
    store: Store, postgres: PostgresServer
) -> None:
    run = started(store, "survivor")
    for step in range(10):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
    run.flush()
    postgres.restart()  # every pooled connection is now dead
    for step in range(10, 20):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
    run.log_param("after", "restart")
    run.end()
    record = q.load_run(store, run.id)
    assert (record.status, record.params) == ("finished", {"after": "restart"})
    assert steps(store, run.id) == list(range(20))


def test_a_flush_waits_for_a_server_coming_back(store: Store, postgres: PostgresServer) -> None:
    run = started(store, "patient")
    run.log_metric("loss", 1.0, step=0)
    run.flush()
    postgres.halt()
    back = threading.Timer(1.0, postgres.resume)
    back.start()
    try:
        run.log_metric("loss", 0.5, step=1)
        run.flush()  # retries connecting until the server is up again
    finally:
        back.join()
    run.end()
    assert steps(store, run.id) == [0, 1]
    assert q.load_run(store, run.id).status == "finished"


def test_an_outage_longer_than_the_retry_window_fails_clearly_and_loses_nothing(
    store: Store, postgres: PostgresServer
) -> None:
    store.reconnect_for = 0.5
    run = started(store, "unlucky")
    run.log_metric("loss", 1.0, step=0)
    run.flush()
    postgres.halt()
    try:
        run.log_metric("loss", 0.5, step=1)
        run.log_param("p", "kept")
        with pytest.raises(
            StoreError, match=r"Cannot reach the store's database at postgresql.*\(retried for"
        ):
            run.flush()
    finally:
        postgres.resume()
    # The failed batch was kept: the run ends with every point, each written once.
    run.end()
    record = q.load_run(store, run.id)
    assert (record.status, record.params) == ("finished", {"p": "kept"})
    assert steps(store, run.id) == [0, 1]


def test_a_database_that_is_gone_fails_at_once_without_retrying(
    store: Store, postgres: PostgresServer
) -> None:
    run = started(store, "orphan")
    run.log_metric("loss", 1.0, step=0)
    postgres.drop_database(store.uri)
    began = time.monotonic()
    with pytest.raises(StoreError, match="does not exist"):
        run.flush()
    assert time.monotonic() - began < store.reconnect_for / 2
    with pytest.raises(StoreError, match="does not exist"):
        run.end()
    assert run.ended and mlops.active_run() is None
