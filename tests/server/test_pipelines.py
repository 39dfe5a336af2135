"""Pipelines and schedules over HTTP: run, rerun, watch steps; create, pause, resume, run now."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import update

from jupyter_mlops.store import tables as t
from tests.server.conftest import Server


def test_a_pipeline_runs_and_reruns_with_its_steps(server: Server) -> None:
    answer = server.post("pipelines/runs", {"spec": "pipe/pipeline.yaml", "wait": True})
    assert answer.status_code == 200, answer.text
    detail = answer.json()
    assert detail["run"]["name"] == "tiny"
    assert detail["run"]["status"] == "ok"
    (step,) = detail["step_runs"]
    assert (step["step"], step["status"]) == ("train", "ok")
    assert step["output_notebook_in_root"], step
    assert (server.root / step["output_notebook_in_root"]).is_file()
    assert detail["run"]["steps"] == {"ok": 1}

    listed = server.get("pipelines/runs", params={"name": "tiny"}).json()
    assert listed["items"][0]["id"] == detail["run"]["id"]
    assert server.get(f"pipelines/runs/{detail['run']['id']}").json() == detail

    rerun = server.post(f"pipelines/runs/{detail['run']['id']}/rerun", {"wait": True})
    assert rerun.status_code == 200, rerun.text
    again = rerun.json()
    assert again["run"]["id"] != detail["run"]["id"]
    assert [s["status"] for s in again["step_runs"]] == ["cached"]


def test_a_started_pipeline_answers_at_once_and_its_steps_can_be_watched(server: Server) -> None:
    answer = server.post("pipelines/runs", {"spec": "pipe/pipeline.yaml", "force": True})
    assert answer.status_code == 202, answer.text
    run_id = answer.json()["run"]["id"]
    seen = {answer.json()["run"]["status"]}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        detail = server.get(f"pipelines/runs/{run_id}").json()
        seen.add(detail["run"]["status"])
        if detail["run"]["status"] != "running":
            break
        time.sleep(0.2)
    assert "running" in seen
    assert detail["run"]["status"] == "ok"
    assert [s["status"] for s in detail["step_runs"]] == ["ok"]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("../outside.txt", "outside"),
        ("/etc/passwd", "relative"),
        ("pipe/missing.yaml", "no pipeline spec"),
        ("secret.txt", "secret.txt"),
    ],
)
def test_a_spec_outside_the_root_or_invalid_is_400(server: Server, spec: str, words: str) -> None:
    answer = server.post("pipelines/runs", {"spec": spec, "wait": True})
    assert answer.status_code == 400
    assert words in answer.json()["error"].lower()


def test_unknown_pipeline_runs_are_404(server: Server) -> None:
    assert server.get("pipelines/runs/nope").status_code == 404
    assert server.post("pipelines/runs/nope/rerun", {}).status_code == 404


def test_a_schedule_is_created_paused_resumed_and_run_now(server: Server) -> None:
    body = {"name": "nightly", "cron": "0 6 * * *", "notebook": "job.ipynb", "params": {"x": 2}}
    created = server.post("schedules", body)
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert (schedule["target_kind"], schedule["target"]) == ("notebook", "job.ipynb")
    assert schedule["enabled"] is True and schedule["next_due"] > time.time()
    assert server.post("schedules", body).status_code == 400  # the name is taken
    assert [s["name"] for s in server.get("schedules").json()["items"]] == ["nightly"]

    assert server.post("schedules/nightly/pause").json()["enabled"] is False
    assert server.get("schedules/nightly").json()["enabled"] is False
    assert server.post("schedules/nightly/resume").json()["enabled"] is True

    ran = server.post("schedules/nightly/run")
    assert ran.status_code == 200, ran.text
    tick = ran.json()
    assert tick["status"] == "finished", tick
    assert tick["run_id"]
    history = server.get("schedules/nightly/history").json()
    assert [t["id"] for t in history["items"]] == [tick["id"]]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"name": "bad-cron", "cron": "every day", "notebook": "job.ipynb"}, "cron"),
        ({"name": "out", "cron": "0 6 * * *", "notebook": "../outside.txt"}, "outside"),
        ({"name": "two", "cron": "0 6 * * *"}, "notebook"),
        ({"name": "bad name!", "cron": "0 6 * * *", "notebook": "job.ipynb"}, "name"),
        (
            {"name": "tz", "cron": "0 6 * * *", "notebook": "job.ipynb", "timezone": "Mars/Base"},
            "mars",
        ),
        ({"name": "never", "cron": "0 0 31 2 *", "notebook": "job.ipynb"}, "never fires"),
        (
            {"name": "typo", "cron": "0 6 * * *", "notebook": "job.ipynb", "params": {"y": "1"}},
            "unknown parameter 'y'",
        ),
        (
            {"name": "text", "cron": "0 6 * * *", "notebook": "job.ipynb", "params": {"x": "a"}},
            "'a' is not a int",
        ),
        (
            {"name": "json", "cron": "0 6 * * *", "notebook": "job.ipynb", "params": {"x": 0.5}},
            "0.5 is not a int",
        ),
        ({"name": "env", "cron": "0 6 * * *", "pipeline": "pipe/pipeline.yaml", "env": "e"}, "'e'"),
        ({"name": "abs", "cron": "0 6 * * *", "notebook": "/etc/passwd"}, "outside"),
    ],
)
def test_bad_schedules_are_400(server: Server, body: dict[str, str], words: str) -> None:
    answer = server.post("schedules", body)
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["error"].lower()


def test_unknown_schedules_are_404(server: Server) -> None:
    for answer in (
        server.get("schedules/nope"),
        server.post("schedules/nope/pause"),
        server.post("schedules/nope/run"),
        server.get("schedules/nope/history"),
    ):
        assert answer.status_code == 404
    for limit in ("0", "x", "-1"):
        answer = server.get("schedules/nope/history", params={"limit": limit})
        assert answer.status_code == 400
        assert "limit" in answer.json()["error"]


def test_the_server_runs_due_schedules_in_its_scheduler_thread(server: Server) -> None:
    assert server.get("status").json()["scheduler_running"] is True
    body = {"name": "due-soon", "cron": "0 6 * * *", "notebook": "job.ipynb"}
    assert server.post("schedules", body).status_code == 201
    # Make its tick due now, as if 06:00 had come.
    store = server.open_store()
    try:
        with store.write() as conn:
            conn.execute(
                update(t.schedules)
                .where(t.schedules.c.name == "due-soon")
                .values(next_due=time.time() - 1)
            )
    finally:
        store.close()
    deadline = time.monotonic() + 90
    items: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        items = server.get("schedules/due-soon/history").json()["items"]
        if items and items[0]["status"] not in ("running",):
            break
        time.sleep(0.3)
    assert [i["status"] for i in items] == ["finished"], items
    assert server.get("schedules/due-soon").json()["next_due"] > time.time()


def test_a_schedule_is_typed_by_its_notebook_exported_and_removed(server: Server) -> None:
    body = {"name": "goner", "cron": "0 6 * * *", "notebook": "job.ipynb", "params": {"x": "3"}}
    assert server.post("schedules", body).status_code == 201
    assert server.get("schedules/goner").json()["params"] == {"x": 3}  # x = 1 in job.ipynb
    crontab = server.get("schedules/goner/export").json()
    assert crontab["format"] == "crontab"
    assert "&& jupyter-mlops run job.ipynb -p x=3\n" in crontab["text"]
    bad = server.get("schedules/goner/export", params={"format": "airflow"})
    assert bad.status_code == 400 and "format" in bad.json()["error"]
    removed = server.delete("schedules/goner")
    assert removed.status_code == 200, removed.text
    assert removed.json() == {"name": "goner", "removed_ticks": 0}
    assert server.get("schedules/goner").status_code == 404
    assert server.delete("schedules/goner").status_code == 404
