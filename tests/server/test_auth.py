"""Every route refuses strangers; POSTs and DELETEs refuse cookie sessions without the XSRF
token."""

from __future__ import annotations

import re

import pytest
import requests

from jupyter_mlops.server.extension import ROUTES
from jupyter_mlops.server.openapi import served_methods
from tests.server.conftest import API, Server

_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
SAMPLES = {
    "run_id": "0123abcd",
    "key": "auc",
    "digest": "0" * 64,
    "name": "churn",
    "version": "1",
    "step": "fit",
}


def concrete(pattern: str) -> str:
    """A URL path for a route pattern, each group filled with a sample value."""
    return _GROUP.sub(lambda m: SAMPLES[m.group(1)], pattern).lstrip("/")


def registered() -> list[tuple[str, str]]:
    """(path, method) of every method of every route, read from the route table."""
    found = [
        (concrete(pattern), method)
        for pattern, handler in ROUTES
        for method in served_methods(handler)
    ]
    assert len(found) >= 28, found
    return found


def test_every_route_of_the_table_is_served_by_our_handlers(server: Server) -> None:
    for path, method in registered():
        answer = requests.request(
            method.upper(), server.url + path, headers=server._auth(), json={}, timeout=120
        )
        # Our handlers answer JSON (or an object's bytes), never Jupyter's HTML 404 page.
        kind = answer.headers["Content-Type"]
        assert kind.startswith(("application/json", "application/octet-stream")), (path, kind)
        assert answer.status_code != 405, path


@pytest.mark.parametrize(("path", "method"), registered())
def test_every_route_refuses_a_request_without_credentials(
    server: Server, path: str, method: str
) -> None:
    answer = requests.request(method.upper(), server.url + path, json={}, timeout=30)
    assert answer.status_code in (401, 403), (method, path, answer.status_code, answer.text)
    assert answer.json()["error"]
    # Nothing of the store leaks into the refusal.
    assert "churn" not in answer.text.replace(path, "")


@pytest.mark.parametrize(("path", "method"), registered())
def test_a_wrong_token_is_refused(server: Server, path: str, method: str) -> None:
    answer = requests.request(
        method.upper(),
        server.url + path,
        json={},
        headers={"Authorization": "token not-the-token"},
        timeout=30,
    )
    assert answer.status_code in (401, 403), (method, path, answer.status_code)


def _cookie_session(server: Server) -> requests.Session:
    """A browser-like session: logged in by cookie, holding the _xsrf cookie."""
    session = requests.Session()
    answer = session.get(f"{server.url}login?token={server.token}", timeout=30)
    assert answer.status_code == 200
    assert session.get(f"{server.url}{API}/status", timeout=30).status_code == 200
    return session


@pytest.mark.parametrize(
    ("path", "method"), [(path, method) for path, method in registered() if method != "get"]
)
def test_a_cookie_session_cannot_change_without_the_xsrf_token(
    server: Server, path: str, method: str
) -> None:
    session = _cookie_session(server)
    answer = session.request(method.upper(), server.url + path, json={}, timeout=30)
    assert answer.status_code == 403, (path, answer.status_code, answer.text)
    assert "xsrf" in answer.json()["error"].lower()


def test_a_cookie_session_with_the_xsrf_token_reaches_the_handler(server: Server) -> None:
    session = _cookie_session(server)
    xsrf = session.cookies.get("_xsrf")
    assert xsrf
    answer = session.post(
        f"{server.url}{API}/schedules/no-such-schedule/pause",
        json={},
        headers={"X-XSRFToken": xsrf},
        timeout=30,
    )
    assert answer.status_code == 404
    assert "no-such-schedule" in answer.json()["error"]
    answer = session.delete(
        f"{server.url}{API}/schedules/no-such-schedule", headers={"X-XSRFToken": xsrf}, timeout=30
    )
    assert answer.status_code == 404
    assert "no-such-schedule" in answer.json()["error"]


def test_routes_ask_the_servers_authorizer(server: Server) -> None:
    # tests/server/authz.py refuses every action on a path naming "forbidden-".
    for answer in (
        server.get("schedules/forbidden-job"),
        server.post("schedules/forbidden-job/pause"),
        server.delete("schedules/forbidden-job"),
        server.get("models/forbidden-model"),
        server.post("models/forbidden-model/promote", {"version": 1, "stage": "staging"}),
    ):
        assert answer.status_code == 403, answer.text
    assert server.get("schedules/allowed-job").status_code == 404
