from __future__ import annotations

import http.server
import json
import logging
import socket
import threading
from collections.abc import Iterator

import pytest

from jupyter_mlops.monitor.alerts import log_alert, post_webhook, send

SUMMARY = {
    "monitor": "churn",
    "run_id": "abc",
    "dataset_drift": True,
    "share": 0.5,
    "drifted_columns": ["age", "income"],
    "timestamp": "2026-01-01T00:00:00+00:00",
}


class Hook:
    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.status = status
        self.delay = delay
        self.bodies: list[dict] = []
        self.release = threading.Event()


@pytest.fixture
def hook() -> Iterator[tuple[str, Hook]]:
    """A local webhook on 127.0.0.1 that records the JSON bodies it gets."""
    state = Hook()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.bodies.append(json.loads(body))
            if state.delay:
                state.release.wait(state.delay)
            self.send_response(state.status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", state
    state.release.set()
    server.shutdown()
    server.server_close()


def test_webhook_gets_the_summary(hook) -> None:
    url, state = hook
    outcome = post_webhook(url, SUMMARY)
    assert (outcome.ok, outcome.detail) == (True, "HTTP 200")
    assert state.bodies == [SUMMARY]


def test_webhook_http_error_is_returned(hook, caplog) -> None:
    url, state = hook
    state.status = 500
    with caplog.at_level(logging.ERROR, logger="jupyter_mlops.monitor"):
        outcome = post_webhook(url, SUMMARY)
    assert (outcome.ok, outcome.detail) == (False, "HTTP 500")
    assert f"monitor churn: webhook {url} failed: HTTP 500" in caplog.text


def test_webhook_timeout_is_returned(hook) -> None:
    url, state = hook
    state.delay = 5.0
    outcome = post_webhook(url, SUMMARY, timeout=0.3)
    assert not outcome.ok
    assert "timed out" in outcome.detail


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_refused_connection_is_returned() -> None:
    outcome = post_webhook(f"http://127.0.0.1:{_free_port()}/x", SUMMARY, timeout=2)
    assert not outcome.ok
    assert "ConnectionRefusedError" in outcome.detail


def test_not_a_url() -> None:
    assert send("ftp://x", SUMMARY).detail == "not an http(s) URL"


def test_log_alert(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="jupyter_mlops.monitor"):
        assert log_alert(SUMMARY).ok
    assert "monitor churn: drift found in run abc (share 0.500; columns: age, income)" in (
        caplog.text
    )
