"""Models, stages and promotion over HTTP, and monitors' history."""

from __future__ import annotations

import threading

from tests.server.conftest import Server


def test_a_model_version_number_is_a_whole_number_from_1(server: Server) -> None:
    assert server.get("models/churn/versions/0").status_code == 400


def test_models_versions_and_stages(server: Server) -> None:
    models = {m["name"]: m for m in server.get("models").json()["items"]}
    assert models["churn"]["versions"] == 2
    assert models["churn"]["latest_version"] == 2
    versions = server.get("models/churn").json()["items"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["metrics"]["roc_auc"] == 0.9
    assert versions[0]["class_name"].endswith("LogisticRegression")
    one = server.get("models/churn/versions/1").json()
    assert one["uri"] == "models:/churn/1"
    stages = server.get("models/churn/stages").json()
    assert stages["allowed"] == ["staging", "production"]
    assert server.get("models/nope").status_code == 404
    assert server.get("models/churn/versions/7").status_code == 404


def test_a_dry_run_evaluates_every_check_and_changes_nothing(server: Server) -> None:
    body = {
        "version": 2,
        "stage": "staging",
        "checks": ["metrics.roc_auc >= 0.85", "metrics.roc_auc >= 0.99"],
        "dry_run": True,
    }
    answer = server.post("models/gated/promote", body)
    assert answer.status_code == 200
    result = answer.json()
    assert result["outcome"] == "would_refuse"
    assert [c["status"] for c in result["checks"]] == ["passed", "failed"]
    assert result["event"] is None
    assert server.get("models/gated/stages").json()["held"] == {}
    assert server.get("models/gated/promotions").json()["items"] == []


def test_a_refused_promotion_is_422_with_the_checks_and_is_audited(server: Server) -> None:
    body = {"version": 1, "stage": "production", "checks": ["metrics.roc_auc >= 0.85"]}
    answer = server.post("models/gated/promote", body)
    assert answer.status_code == 422
    error = answer.json()
    assert "refused" in error["error"]
    (check,) = error["checks"]
    assert check["status"] == "failed" and check["values"]["metrics.roc_auc"] == 0.8
    assert "production" not in server.get("models/gated/stages").json()["held"]
    events = server.get("models/gated/promotions").json()["items"]
    assert [e["outcome"] for e in events] == ["refused"]


def test_a_passing_promotion_moves_the_stage(server: Server) -> None:
    body = {
        "version": 2,
        "stage": "production",
        "checks": ["metrics.roc_auc >= 0.85"],
        "reason": "better",
    }
    answer = server.post("models/gated/promote", body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["outcome"] == "promoted"
    assert result["event"]["reason"] == "better"
    assert server.get("models/gated/stages").json()["held"] == {"production": 2}
    assert server.get("models/gated/versions/2").json()["stages"] == ["production"]
    again = server.post("models/gated/promote", body)
    assert again.status_code == 400  # already holds the stage
    outcomes = [e["outcome"] for e in server.get("models/gated/promotions").json()["items"]]
    assert outcomes[-1] == "promoted"


def test_promotions_that_race_give_one_winner_and_409s(server: Server) -> None:
    # "racy" has one version; a second stage holder race: same version, several requests.
    answers: list[int] = []

    def promote() -> None:
        answers.append(
            server.post("models/racy/promote", {"version": 1, "stage": "staging"}).status_code
        )

    threads = [threading.Thread(target=promote) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers.count(200) == 1, answers
    # The losers either lost the race (409) or saw the winner already there (400).
    assert set(answers) - {200} <= {400, 409}, answers
    assert server.get("models/racy/stages").json()["held"] == {"staging": 1}


def test_promotion_input_errors(server: Server) -> None:
    assert server.post("models/churn/promote", {"version": 1, "stage": "moon"}).status_code == 400
    assert (
        server.post("models/churn/promote", {"version": 9, "stage": "staging"}).status_code == 404
    )
    assert server.post("models/nope/promote", {"version": 1, "stage": "staging"}).status_code == 404
    assert server.post("models/churn/promote", {"stage": "staging"}).status_code == 400
    bad_check = {
        "version": 1,
        "stage": "staging",
        "checks": ["metrics.roc_auc >="],
        "dry_run": True,
    }
    answer = server.post("models/churn/promote", bad_check)
    assert answer.status_code == 200
    assert answer.json()["checks"][0]["status"] == "error"
    outside = {"version": 1, "stage": "staging", "validate_notebook": "../outside.txt"}
    answer = server.post("models/churn/promote", outside)
    assert answer.status_code == 400
    assert "outside" in answer.json()["error"]
    not_json = server.post("models/churn/promote", data=b"{nope")
    assert not_json.status_code == 400


def test_monitors_list_their_latest_verdict_and_trend(server: Server) -> None:
    (monitor,) = server.get("monitors").json()["items"]
    assert monitor["name"] == "drift-watch"
    assert monitor["runs"] == 2
    assert monitor["latest_drift_share"] == 0.6
    assert monitor["latest_dataset_drift"] is True
    # No act() recorded a decision and no threshold is set: the report's verdict decides.
    assert (monitor["latest_verdict"], monitor["threshold"]) == ("drift", None)
    trend = server.get("monitors/drift-watch/history").json()
    assert [p["drift_share"] for p in trend["points"]] == [0.1, 0.6]
    assert [p["dataset_drift"] for p in trend["points"]] == [False, True]
    assert [p["verdict"] for p in trend["points"]] == ["no_drift", "drift"]
    asked = server.get("monitors/drift-watch/history", params={"metrics": "drift.share"}).json()
    assert [p["metrics"] for p in asked["points"]] == [{"drift.share": 0.1}, {"drift.share": 0.6}]
    assert server.get("monitors/nope/history").status_code == 404


def test_a_dry_run_can_run_a_validation_notebook(server: Server) -> None:
    body = {
        "version": 1,
        "stage": "staging",
        "checks": ["validation.metrics.checked == 1"],
        "validate_notebook": "validate.ipynb",
        "dry_run": True,
    }
    answer = server.post("models/churn/promote", body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["outcome"] == "would_promote"
    assert [c["status"] for c in result["checks"]] == ["passed", "passed"]
    # The notebook as the request named it, relative to the root (not the server's layout).
    assert result["checks"][0]["expression"] == "validate validate.ipynb"
    assert server.get("models/churn/stages").json()["held"] == {}
