"""The command line: schedule and scheduler, including signals and two racing schedulers."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from jupyter_mlops import scheduler
from jupyter_mlops.store import Store
from jupyter_mlops.store import schedules as q
from jupyter_mlops.store import tables as t

from .conftest import T0

CLI = [sys.executable, "-m", "jupyter_mlops.cli"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--notebook", "nb.ipynb", "--cron", "0 6 * *"],
            "Invalid cron expression '0 6 * *': expected 5 fields (minute hour day-of-month "
            "month day-of-week), like '0 6 * * *'.",
        ),
        (
            ["--notebook", "nb.ipynb", "--cron", "0 6 * * *", "--timezone", "Nowhere/Town"],
            "Unknown timezone 'Nowhere/Town'; use an IANA name such as 'UTC' or 'Europe/Paris'.",
        ),
        (["--cron", "0 6 * * *"], "Give exactly one of --notebook NOTEBOOK or --pipeline SPEC."),
        (
            ["--notebook", "nb.ipynb", "--pipeline", "p.yaml", "--cron", "0 6 * * *"],
            "Give exactly one of --notebook NOTEBOOK or --pipeline SPEC.",
        ),
        (
            ["--notebook", "missing.ipynb", "--cron", "0 6 * * *"],
            "No notebook file 'missing.ipynb'; check the path.",
        ),
    ],
)
def test_add_bad_usage_is_one_line_exit_2(store, make_notebook, cli, argv, message) -> None:
    make_notebook("nb.ipynb")
    code, _out, err = cli("schedule", "add", "s", *argv)
    assert code == 2
    assert err == f"jupyter-mlops: error: {message}\n"


@pytest.mark.parametrize("action", ["pause", "resume", "remove", "run-now", "history"])
def test_unknown_schedule_exit_2(store, cli, action) -> None:
    code, _, err = cli("schedule", action, "ghost")
    assert code == 2
    assert err == "jupyter-mlops: error: No schedule named 'ghost'; there are none yet.\n"


def test_add_list_pause_export(store, make_notebook, cli) -> None:
    make_notebook("nb.ipynb", params="x = 1\nlabel = 'a'")
    code, out, _ = cli(
        "schedule", "add", "daily", "--notebook", "nb.ipynb", "--cron", "0 6 * * *",
        "--timezone", "Asia/Tokyo", "-p", "x=3", "-p", "label=hi",
    )  # fmt: skip
    assert code == 0 and out.startswith("added schedule daily: 0 6 * * * (Asia/Tokyo)")
    assert scheduler.get("daily", store=store).params == {"x": 3, "label": "hi"}
    code, out, _ = cli("schedule", "list")
    assert code == 0 and "daily" in out and "Asia/Tokyo" in out
    code, out, _ = cli("schedule", "pause", "daily")
    assert "next due never (paused)" in out

    code, out, _ = cli("schedule", "export", "daily", "--format", "crontab")
    assert out.splitlines() == [
        "# jupyter-mlops schedule daily",
        "CRON_TZ=Asia/Tokyo",
        "0 6 * * * cd /path/to/project && jupyter-mlops run nb.ipynb -p label=hi -p x=3",
    ]
    code, out, _ = cli("schedule", "export", "daily", "--format", "kubernetes")
    job = yaml.safe_load(out)
    assert job["kind"] == "CronJob" and job["spec"]["timeZone"] == "Asia/Tokyo"
    assert job["spec"]["schedule"] == "0 6 * * *" and job["spec"]["suspend"] is True
    container = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:3] == ["jupyter-mlops", "run", "nb.ipynb"]
    code, out, _ = cli("schedule", "export", "daily", "--format", "github-actions")
    flow = yaml.safe_load(out)
    assert flow["on"]["schedule"] == [{"cron": "0 21 * * *"}]  # 06:00 Tokyo is 21:00 UTC
    assert out.startswith("# cron in UTC (from '0 6 * * *' in Asia/Tokyo)")
    code, out, _err = cli("schedule", "export", "daily", "--format", "airflow")
    assert code == 2

    code, out, _ = cli("schedule", "history", "daily", "--format", "json")
    assert json.loads(out) == {"name": "daily", "items": []}
    code, out, _ = cli("schedule", "remove", "daily")
    assert out == "removed schedule daily\n"


def _force_due(store: Store, name: str, when: float) -> None:
    q.update_schedule(store, scheduler.get(name, store=store).id, next_due=when)


def _rows(store: Store) -> list:
    with store.read() as conn:
        return conn.execute(select(t.schedule_runs).order_by(t.schedule_runs.c.id)).all()


def test_run_now_and_scheduler_once(store, make_notebook, cli) -> None:
    make_notebook("nb.ipynb", "y = x * 2")
    cli("schedule", "add", "s", "--notebook", "nb.ipynb", "--cron", "0 6 * * *")
    code, out, _ = cli("schedule", "run-now", "s")
    assert code == 0 and out.startswith("s: finished (run ")
    _force_due(store, "s", time.time() - 1)
    code, out, _ = cli("scheduler", "--once")
    assert code == 0 and out.startswith("s: finished")
    code, out, _ = cli("schedule", "history", "s")
    assert out.count("finished") == 2


def test_two_schedulers_in_two_processes_run_each_tick_once(
    store, make_notebook, store_dir: Path
) -> None:
    for i in range(3):
        make_notebook(f"n{i}.ipynb", "import time; time.sleep(0.2)")
        scheduler.add(
            f"s{i}", notebook=f"n{i}.ipynb", cron="0 * * * *", store=store, now=lambda: T0
        )
    start = time.time() + 2.0
    code = (
        "import time, jupyter_mlops.scheduler as s\n"
        "from jupyter_mlops.store import current_store\n"
        f"time.sleep(max(0, {start} - time.time()))\n"
        f"done = s.Scheduler(current_store(), now=lambda: {T0 + 3600 + 60}).tick()\n"
        "print(len(done))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=store_dir, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    counts = [int(p.communicate(timeout=240)[0].strip()) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(counts) == 3
    rows = _rows(store)
    assert sorted((r.schedule_id, r.tick) for r in rows) == sorted(
        (scheduler.get(f"s{i}", store=store).id, T0 + 3600) for i in range(3)
    )
    assert {r.status for r in rows} == {"finished"}


def _start_daemon(store_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, "scheduler", "--poll", "0.2"],
        cwd=store_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_running(store: Store, proc: subprocess.Popen[str]) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if any(r.status == "running" and r.run_id for r in _rows(store)):
            time.sleep(0.5)
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    raise AssertionError("the scheduler never started the job")


def test_sigterm_finishes_the_running_job_and_exits_0(store, make_notebook, store_dir) -> None:
    make_notebook("slow.ipynb", "import time; time.sleep(3)")
    scheduler.add("slow", notebook="slow.ipynb", cron="0 6 * * *", store=store)
    _force_due(store, "slow", time.time() - 1)
    proc = _start_daemon(store_dir)
    _wait_running(store, proc)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "SIGTERM; stopping" in err
    assert [r.status for r in _rows(store)] == ["finished"]


def test_second_signal_abandons_the_job_and_marks_it(store, make_notebook, store_dir) -> None:
    make_notebook("slower.ipynb", "import time; time.sleep(60)")
    scheduler.add("slower", notebook="slower.ipynb", cron="0 6 * * *", store=store)
    _force_due(store, "slower", time.time() - 1)
    proc = _start_daemon(store_dir)
    _wait_running(store, proc)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    (row,) = _rows(store)
    assert row.status == "killed"
    assert row.error == "abandoned: the scheduler was stopped during the run"
    from jupyter_mlops import get_run

    assert get_run(row.run_id, store=store).status == "killed"
