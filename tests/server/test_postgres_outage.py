"""The store's PostgreSQL server goes down: the API answers a clear 503, then serves again."""

from __future__ import annotations

import time

import pytest
from _postgres import PostgresServer

from tests.server.conftest import STORE_WAIT_S, Server


@pytest.mark.parametrize("server", ["postgresql"], indirect=True)
def test_an_outage_answers_503_and_the_api_recovers_after_it(
    server: Server, postgres: PostgresServer
) -> None:
    before = server.get("runs", params={"experiment": "exp"})
    assert before.status_code == 200
    postgres.halt()  # the session's server: every test after this one needs it back
    try:
        began = time.monotonic()
        answer = server.get("runs", params={"experiment": "exp"})
        waited = time.monotonic() - began
    finally:
        postgres.resume()
    assert answer.status_code == 503, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    assert int(answer.headers["Retry-After"]) > 0
    error = answer.json()["error"]
    assert error.startswith("Cannot reach the store's database at postgresql"), error
    assert "MLOPS_STORE_URI" in error and "\n" not in error and "Traceback" not in error
    # It waited for the server to come back (store_wait), but not for the store's full window.
    assert STORE_WAIT_S <= waited < STORE_WAIT_S + 10, waited
    # Back up: the same request answers as before, over fresh connections.
    after = server.get("runs", params={"experiment": "exp"})
    assert after.status_code == 200, after.text
    assert after.json()["total"] == before.json()["total"] == 3
    # The log says what happened in one line (the fixture also checks it has no traceback).
    assert "503 Cannot reach the store's database" in server.log.read_text()
