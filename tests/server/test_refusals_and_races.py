"""Input one backend would take and the other refuse, and writes that race, answer alike on both.

After test_pipelines (file order): it adds a schedule, which that module does not expect.
"""

from __future__ import annotations

import threading

import pytest
import requests
from requests import Response

from tests.server.conftest import API, Server

NUL = "\x00"


def send(server: Server, method: str, path: str, payload: dict[str, object] | None) -> Response:
    return server.get(path, params=payload) if method == "get" else server.post(path, payload)


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("get", "runs/a%00b", None),
        ("get", "runs", {"experiment": f"a{NUL}b"}),
        ("get", "runs", {"filter": f"name = 'a{NUL}b'"}),
        ("get", "schedules/a%00b/history", None),
        ("get", "pipelines/runs", {"name": f"a{NUL}b"}),
        ("post", "models/churn/promote", {"version": 1, "stage": "staging", "reason": NUL}),
        ("post", "schedules", {"name": "nul", "cron": "0 6 * * *", "notebook": "job.ipynb",
                               "env": f"a{NUL}b"}),
    ],
)  # fmt: skip
def test_text_with_a_nul_character_is_refused_before_the_store(
    server: Server, method: str, path: str, payload: dict[str, object] | None
) -> None:
    # PostgreSQL cannot store NUL in text; SQLite would: neither gets it, both say why.
    events = len(server.get("models/churn/promotions").json()["items"])
    answer = send(server, method, path, payload)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == (
        "Text in a request cannot contain NUL characters (\\x00); remove them."
    )
    # Nothing was written.
    assert server.get("schedules/nul").status_code == 404
    assert len(server.get("models/churn/promotions").json()["items"]) == events


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("get", "runs", {"offset": str(10**19)}, "offset"),
        ("get", "pipelines/runs", {"offset": str(2**63)}, "offset"),
        ("post", "models/churn/promote", {"version": 10**12, "stage": "staging"}, "version"),
    ],
)
def test_numbers_too_large_for_a_database_column_are_refused(
    server: Server, method: str, path: str, payload: dict[str, object], field: str
) -> None:
    # SQLite overflowed (500) and PostgreSQL refused (bigint out of range): now both say 400.
    answer = send(server, method, path, payload)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith(f"{field}: expected at most 999999999")


def test_schedules_created_at_once_under_one_name_give_one_schedule(server: Server) -> None:
    body = {"name": "twin", "cron": "0 6 * * *", "notebook": "job.ipynb"}
    answers: list[tuple[int, str]] = []
    start = threading.Barrier(6)

    def create() -> None:
        start.wait()
        answer = server.post("schedules", body)
        answers.append((answer.status_code, answer.json().get("error", "")))

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = [code for code, _ in answers]
    assert codes.count(201) == 1, answers
    # Losers saw the winner's row (400 "exists") or collided with its insert (409, PostgreSQL).
    for code, error in answers:
        if code == 400:
            assert "A schedule named 'twin' exists" in error
        elif code == 409:
            assert error.startswith("Another request changed the same thing at the same moment")
        else:
            assert code == 201
    names = [s["name"] for s in server.get("schedules").json()["items"]]
    assert names.count("twin") == 1


def test_a_deeply_nested_body_is_a_400_and_changes_nothing(server: Server) -> None:
    events = len(server.get("models/churn/promotions").json()["items"])
    deep = b'{"version": 1, "stage": "staging", "checks": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    answer = requests.post(
        f"{server.url}{API}/models/churn/promote",
        data=deep,
        headers={**server._auth(), "Content-Type": "application/json"},
        timeout=60,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == (
        "The request body nests deeper than 32 levels; no request needs that."
    )
    # A bracket inside a string is text, not nesting.
    fine = server.post(
        "models/churn/promote",
        {"version": 1, "stage": "staging", "checks": ["[" * 100], "dry_run": True},
    )
    assert fine.status_code != 500, fine.text
    assert len(server.get("models/churn/promotions").json()["items"]) == events


def test_a_body_over_a_mebibyte_is_refused_with_413(server: Server) -> None:
    answer = server.post("schedules", {"name": "big", "cron": "0 6 * * *", "pad": "x" * 2**21})
    assert answer.status_code == 413, answer.text
    assert "over 1024 KiB" in answer.json()["error"]
    assert server.get("schedules/big").status_code == 404
