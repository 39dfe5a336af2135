"""Runs over HTTP: search with the filter language and pages, detail, metric history, status."""

from __future__ import annotations

import pytest

from tests.server.conftest import Server


def test_status_names_the_store_of_the_server_root(server: Server) -> None:
    status = server.get("status").json()
    assert status["ok"] is True
    assert status["root"] == str(server.root.resolve())
    if server.backend == "sqlite":
        assert str(server.root) in status["store_uri"]
    else:
        assert status["store_uri"] == server.settings["MLOPS_STORE_URI"]
    assert status["runs_by_status"]["finished"] >= 4


def test_runs_are_searched_with_the_filter_language(server: Server) -> None:
    page = server.get("runs", params={"filter": "metrics.auc >= 0.8 and experiment = 'exp'"})
    assert page.status_code == 200
    body = page.json()
    assert body["total"] == 2
    assert sorted(r["name"] for r in body["items"]) == ["run-1", "run-2"]
    run = next(r for r in body["items"] if r["name"] == "run-2")
    assert run["metrics"]["auc"] == 0.9
    assert run["params"] == {"C": "2"}
    assert run["status"] == "finished"
    assert run["end_time"] >= run["start_time"]


def test_runs_come_in_pages_with_the_total(server: Server) -> None:
    query = {"experiment": "exp", "order_by": "metrics.auc desc", "limit": 2}
    first = server.get("runs", params=query).json()
    second = server.get("runs", params={**query, "offset": 2}).json()
    assert first["total"] == second["total"] == 3
    assert [r["name"] for r in first["items"]] == ["run-2", "run-1"]
    assert [r["name"] for r in second["items"]] == ["run-0"]
    assert (first["limit"], second["offset"]) == (2, 2)


def test_a_nan_metric_travels_as_the_string_nan(server: Server) -> None:
    body = server.get("runs", params={"filter": "tags.owner = 'ana'"}).json()
    (run,) = body["items"]
    assert run["tags"] == {"owner": "ana"}
    detail = server.get(f"runs/{run['run_id']}").json()
    # JSON has no NaN; null would read as "not logged" (protobuf's JSON mapping, as MLflow).
    assert detail["metrics"] == {"auc": "NaN"}
    assert run["metrics"] == {"auc": "NaN"}


def test_an_invalid_filter_is_a_400_with_one_line(server: Server) -> None:
    answer = server.get("runs", params={"filter": "metrics.auc >"})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert "filter" in error.lower() and "\n" not in error


@pytest.mark.parametrize(
    ("filter", "error"),
    [
        (
            "(" * 2000 + "metrics.auc > 1" + ")" * 2000,
            "Invalid filter at position 20: more than 20 nested parentheses, 'not's and signs; "
            "write the filter with fewer levels",
        ),
        (
            " or ".join(["metrics.auc > 1"] * 2000),
            "Invalid filter at position 10000: the filter is 37,996 characters long, over the "
            "limit of 10,000; write a shorter filter",
        ),
        (
            " or ".join(["metrics.auc > 1"] * 300),
            "Invalid filter at position 4750: more than 500 names and values; "
            "write a shorter filter",
        ),
    ],
)
def test_a_hostile_filter_is_a_400_with_one_line(server: Server, filter: str, error: str) -> None:
    answer = server.get("runs", params={"filter": filter})
    assert (answer.status_code, answer.json()["error"]) == (400, error)


def test_bad_paging_and_unknown_query_fields_are_400(server: Server) -> None:
    assert server.get("runs", params={"limit": -1}).status_code == 400
    assert server.get("runs", params={"limit": "many"}).status_code == 400
    assert server.get("runs", params={"offset": -1}).status_code == 400
    answer = server.get("runs", params={"filtre": "x"})
    assert answer.status_code == 400
    assert "filtre" in answer.json()["error"]
    assert server.get("runs", params={"order_by": "metrics.auc sideways"}).status_code == 400


def test_an_unknown_experiment_is_404(server: Server) -> None:
    assert server.get("runs", params={"experiment": "nope"}).status_code == 404


def test_run_detail_by_id_or_short_id(server: Server) -> None:
    run_id = server.seeded.runs["run-1"]
    for ref in (run_id, run_id[:8]):
        detail = server.get(f"runs/{ref}").json()
        assert detail["run_id"] == run_id
        assert detail["params"] == {"C": "1"}
        assert detail["metrics"]["auc"] == 0.8
        assert detail["experiment"] == "exp"


def test_an_unknown_run_is_404(server: Server) -> None:
    answer = server.get("runs/ffffffffffffffff")
    assert answer.status_code == 404
    assert "ffffffffffffffff" in answer.json()["error"]


def test_metric_history_lists_every_step(server: Server) -> None:
    run_id = server.seeded.runs["run-1"]
    body = server.get(f"runs/{run_id}/metrics/loss").json()
    assert body["run_id"] == run_id
    assert [(p["step"], p["value"]) for p in body["points"]] == [(0, 6.0), (1, 4.0), (2, 3.0)]
    assert server.get(f"runs/{run_id}/metrics/none").json()["points"] == []
    assert server.get("runs/fffffffff/metrics/loss").status_code == 404


def test_the_openapi_document_is_served(server: Server) -> None:
    from jupyter_mlops.server.openapi import build

    assert server.get("openapi.json").json() == build()


def test_a_run_whose_process_died_is_listed_as_killed(server: Server) -> None:
    import subprocess
    import sys
    import time
    import uuid

    from jupyter_mlops.store import runs as q

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store = server.open_store()
    now = time.time()
    try:
        with store.write() as conn:
            q.insert_run(
                conn,
                {
                    "id": uuid.uuid4().hex,
                    "name": "orphan",
                    "experiment_id": q.get_or_create_experiment(conn, "orphans"),
                    "status": "running",
                    "start_time": now,
                    "heartbeat": now,
                    "host": q.HOST,
                    "pid": dead.pid,
                },
            )
    finally:
        store.close()
    time.sleep(2.1)  # the reaper runs at most every 2 s
    (run,) = server.get("runs", params={"experiment": "orphans"}).json()["items"]
    assert run["status"] == "killed"


def test_jupyterlabs_cache_busting_number_is_ignored(server: Server) -> None:
    # ServerConnection.makeRequest appends `?<milliseconds>` to every GET by default.
    answer = server.get("runs?1732665600123", params={"experiment": "exp", "limit": 1})
    assert answer.status_code == 200
    assert answer.json()["total"] == 3


def test_limit_zero_gives_every_run_with_the_total(server: Server) -> None:
    body = server.get("runs", params={"experiment": "exp", "limit": 0}).json()
    assert len(body["items"]) == body["total"] == 3
    both = server.get("runs", params=[("experiment", "exp"), ("experiment", "exp")]).json()
    assert both["total"] == 3
