"""What the lab's run and schedule panels ask: the project's specs, a step's live log and
failing cell, cancelling a run, a cron preview in its timezone, editing a schedule — and
the one-line refusals, with nothing written."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import Server, notebook


def _project(root: Path) -> None:
    """A slow pipeline, a failing one and a two-step one, under ``ui/`` (written once)."""
    folder = root / "ui"
    if folder.exists():
        return
    folder.mkdir()
    notebook(folder / "prep.ipynb", "rows = 10", "print('prepared', rows)")
    notebook(folder / "fit.ipynb", "C = 1.0", "print('fitted', C)")
    notebook(
        folder / "slow.ipynb",
        "seconds = 120",
        "import time\nfor i in range(seconds * 10):\n    print('tick', i, flush=True)\n"
        "    time.sleep(0.1)",
    )
    notebook(folder / "boom.ipynb", "x = 1", "y = x + 1", "raise ValueError('bad rows: 3')")
    (folder / "two.yaml").write_text(
        "name: ui-two\nenvironments:\n  dev: {params: {prep.rows: 5}}\n  prod: {}\n"
        "steps:\n  prep: {notebook: prep.ipynb}\n  fit: {notebook: fit.ipynb, needs: [prep]}\n"
    )
    (folder / "slow.yaml").write_text("name: ui-slow\nsteps:\n  wait: {notebook: slow.ipynb}\n")
    (folder / "boom.yaml").write_text("name: ui-boom\nsteps:\n  boom: {notebook: boom.ipynb}\n")
    (folder / "broken.yaml").write_text("name: ui-broken\nsteps:\n  a: {notebook: nope.ipynb}\n")
    (folder / "other.yaml").write_text("just: a config\n")
    outside = root.parent / "outside-spec.yaml"
    outside.write_text("name: secret\nsteps:\n  a: {notebook: x.ipynb}\n")
    (folder / "link.yaml").symlink_to(outside)


def _wait(server: Server, run_id: str, until: Any, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        detail: dict[str, Any] = server.get(f"pipelines/runs/{run_id}").json()
        if until(detail) or time.monotonic() > deadline:
            return detail
        time.sleep(0.2)


def test_the_specs_of_the_project_are_listed_with_environments_steps_and_defaults(
    server: Server,
) -> None:
    _project(server.root)
    answer = server.get("pipelines/specs")
    assert answer.status_code == 200, answer.text
    found = {s["path"]: s for s in answer.json()["items"]}
    assert "ui/other.yaml" not in found  # no steps: not a pipeline
    assert "ui/link.yaml" not in found  # a link out of the root
    two = found["ui/two.yaml"]
    assert (two["name"], two["environments"], two["error"]) == ("ui-two", ["dev", "prod"], None)
    steps = {s["name"]: s for s in two["steps"]}
    assert steps["fit"]["needs"] == ["prep"]
    assert steps["fit"]["params"] == {"C": 1.0}
    assert steps["fit"]["param_types"] == {"C": "float"}
    assert steps["prep"]["notebook"] == "ui/prep.ipynb"
    assert "nope.ipynb" in found["ui/broken.yaml"]["error"]


def test_a_failing_step_shows_its_failing_cell_and_error(server: Server) -> None:
    _project(server.root)
    answer = server.post("pipelines/runs", {"spec": "ui/boom.yaml", "wait": True})
    run_id = answer.json()["run"]["id"]
    assert answer.json()["run"]["status"] == "failed"
    log = server.get(f"pipelines/runs/{run_id}/steps/boom/log").json()
    failure = log["failure"]
    assert failure["source"] == "raise ValueError('bad rows: 3')"
    assert (failure["ename"], failure["evalue"]) == ("ValueError", "bad rows: 3")
    assert "ValueError" in failure["traceback"]
    assert [c["status"] for c in log["cells"]][-1] == "failed"
    assert log["notebook_in_root"].startswith("ui/mlops-runs/")


def test_a_running_step_shows_its_output_live_and_cancel_kills_it(server: Server) -> None:
    _project(server.root)
    started = server.post("pipelines/runs", {"spec": "ui/slow.yaml", "force": True})
    assert started.status_code == 202, started.text
    run_id = started.json()["run"]["id"]
    deadline = time.monotonic() + 120
    text = ""
    while "tick 5" not in text and time.monotonic() < deadline:
        log = server.get(f"pipelines/runs/{run_id}/steps/wait/log").json()
        text = "".join(c["output"] for c in log["cells"])
        time.sleep(0.3)
    assert "tick 5" in text, log  # its output arrives while it runs
    assert log["status"] == "running"

    clock = time.monotonic()
    answer = server.post(f"pipelines/runs/{run_id}/cancel", {})
    assert answer.status_code == 200, answer.text
    assert answer.json()["run"]["status"] == "cancelled"
    # The kernel is killed: the step's output stops growing, the step ends cancelled.
    detail = _wait(server, run_id, lambda d: d["step_runs"][0]["ended"] is not None, 30)
    assert time.monotonic() - clock < 15
    assert detail["run"]["status"] == "cancelled"
    assert [s["status"] for s in detail["step_runs"]] == ["cancelled"]
    time.sleep(2)  # the runner's own end does not undo the cancel
    again = server.get(f"pipelines/runs/{run_id}").json()
    assert again["run"]["status"] == "cancelled"
    assert again["step_runs"][0]["status"] == "cancelled"
    before = server.get(f"pipelines/runs/{run_id}/steps/wait/log").json()
    time.sleep(1.5)
    after = server.get(f"pipelines/runs/{run_id}/steps/wait/log").json()
    assert before["cells"] == after["cells"]

    ended = server.post(f"pipelines/runs/{run_id}/cancel", {})
    assert ended.status_code == 409
    assert "has ended" in ended.json()["error"]
    assert "\n" not in ended.json()["error"]


def test_cancel_of_an_unknown_run_or_log_of_an_unknown_step_is_404(server: Server) -> None:
    _project(server.root)
    assert server.post("pipelines/runs/nope/cancel", {}).status_code == 404
    run_id = server.post("pipelines/runs", {"spec": "ui/two.yaml", "wait": True}).json()["run"]
    missing = server.get(f"pipelines/runs/{run_id['id']}/steps/nope/log")
    assert missing.status_code == 404
    assert "prep, fit" in missing.json()["error"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"spec": "ui/missing.yaml"}, "no pipeline spec"),
        ({"spec": "../outside.yaml"}, "outside"),
        ({"spec": "ui/two.yaml", "params": ["fit.C=abc"]}, "not a float"),
        ({"spec": "ui/two.yaml", "params": ["fit.gamma=1"]}, "gamma"),
        ({"spec": "ui/two.yaml", "env": "qa"}, "unknown environment"),
    ],
)
def test_a_bad_run_is_one_line_400_and_starts_nothing(
    server: Server, body: dict[str, Any], words: str
) -> None:
    _project(server.root)
    before = server.get("pipelines/runs", params={"name": "ui-two"}).json()["total"]
    for route in ("pipelines/status", "pipelines/runs"):
        if route == "pipelines/status":
            answer = server.get(route, params=body)
        else:
            answer = server.post(route, body)
        assert answer.status_code == 400, answer.text
        error = answer.json()["error"]
        assert words in error.lower() and "\n" not in error, error
    assert server.get("pipelines/runs", params={"name": "ui-two"}).json()["total"] == before


def test_the_cron_preview_is_in_the_schedules_timezone(server: Server) -> None:
    answer = server.get(
        "cron/preview", params={"cron": "0 6 * * *", "timezone": "Asia/Kolkata", "count": 3}
    )
    assert answer.status_code == 200, answer.text
    ticks = answer.json()["ticks"]
    assert len(ticks) == 3
    assert all(" 06:00 IST (UTC+05:30)" in t["local"] for t in ticks), ticks
    assert all(t["at"] % 86400 == 30 * 60 for t in ticks)  # 06:00 IST is 00:30 UTC
    assert ticks[0]["at"] > time.time()


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"cron": "61 * * * *"}, "invalid cron"),
        ({"cron": "0 6 * *"}, "5 fields"),
        ({"cron": "0 6 * * *", "timezone": "Mars/Olympus"}, "unknown timezone"),
    ],
)
def test_a_bad_cron_or_timezone_preview_is_400(
    server: Server, params: dict[str, str], words: str
) -> None:
    answer = server.get("cron/preview", params=params)
    assert answer.status_code == 400
    assert words in answer.json()["error"].lower()


def test_a_schedule_is_edited_and_a_bad_edit_writes_nothing(server: Server) -> None:
    _project(server.root)
    body = {"name": "ui-edit", "cron": "0 6 * * *", "pipeline": "ui/two.yaml", "env": "dev"}
    assert server.post("schedules", body).status_code == 201
    before = server.get("schedules/ui-edit").json()
    for bad, words in [
        ({"cron": "0 25 * * *"}, "invalid cron"),
        ({"timezone": "Nowhere/Land"}, "unknown timezone"),
        ({"params": {"fit.C": "abc"}}, "not a float"),
        ({"env": "qa"}, "unknown environment"),
    ]:
        answer = server.post("schedules/ui-edit", bad)
        assert answer.status_code == 400, answer.text
        assert words in answer.json()["error"].lower()
        assert server.get("schedules/ui-edit").json() == before
    changed = server.post(
        "schedules/ui-edit",
        {"cron": "30 7 * * 1-5", "timezone": "Europe/Paris", "params": {"fit.C": "0.5"}},
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["cron"], after["timezone"], after["env"]) == (
        "30 7 * * 1-5",
        "Europe/Paris",
        "dev",
    )
    assert after["params"] == {"fit.C": 0.5}
    assert after["next_due"] != before["next_due"]
    cleared = server.post("schedules/ui-edit", {"clear_env": True}).json()
    assert cleared["env"] is None and cleared["params"] == {"fit.C": 0.5}
    assert server.post("schedules/nope", {"cron": "0 6 * * *"}).status_code == 404
    assert server.delete("schedules/ui-edit").status_code == 200
