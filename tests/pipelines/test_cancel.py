"""Cancelling a pipeline run from another process: the command line runs it, a cancel (as the
lab's Cancel button asks it) kills the step's kernel, and the run, its running step and the
steps still to come end ``cancelled``; the command exits 1 saying so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from jupyter_mlops import get_run
from jupyter_mlops.errors import ConflictError, NotFoundError
from jupyter_mlops.pipelines import run_pipeline
from jupyter_mlops.pipelines.progress import NullProgress
from jupyter_mlops.services import pipelines
from jupyter_mlops.services.schema import PipelineRunQuery
from jupyter_mlops.store import current_store
from jupyter_mlops.store import pipelines as records


def notebook(path: Path, params: str, *cells: str) -> None:
    nb = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell(params)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def start_long_run(store_dir: Path, *, announce: bool = False) -> subprocess.Popen[str]:
    """``jupyter-mlops run`` of pipeline ``long`` in its own process: step ``slow`` (a cell
    printing for 300 s; ``announce``: it touches ``started`` first), then ``after``."""
    touch = "import pathlib\npathlib.Path('started').touch()\n" if announce else ""
    notebook(
        store_dir / "slow.ipynb",
        "seconds = 300",
        touch + "import time\nfor i in range(seconds * 10):\n    print(i, flush=True)\n"
        "    time.sleep(0.1)",
    )
    notebook(store_dir / "after.ipynb", "x = 1", "print('after')")
    (store_dir / "pipeline.yaml").write_text(
        "name: long\nsteps:\n  slow: {notebook: slow.ipynb}\n"
        "  after: {notebook: after.ipynb, needs: [slow]}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    return subprocess.Popen(
        [sys.executable, "-m", "jupyter_mlops.cli", "run", "pipeline.yaml"],
        cwd=store_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_run_of_another_process_is_cancelled_its_kernel_killed(store_dir: Path) -> None:
    process = start_long_run(store_dir)
    try:
        store = current_store()
        deadline = time.monotonic() + 120
        running = None
        while running is None and time.monotonic() < deadline:
            page = pipelines.list_runs(store, PipelineRunQuery(name="long"))
            for found in page.items:
                steps = pipelines.get_run(store, found.id, root=store_dir).step_runs
                if any(s.step == "slow" and s.status == "running" for s in steps):
                    running = found
            time.sleep(0.2)
        assert running is not None, "the step never started"
        time.sleep(2)  # inside the long cell

        clock = time.monotonic()
        detail = pipelines.cancel(store, running.id, root=store_dir)
        assert detail.run.status == "cancelled"
        out, _ = process.communicate(timeout=60)
        took = time.monotonic() - clock
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, out
    assert "pipeline cancelled" in out, out
    assert took < 20, took  # the kernel was killed, not waited for (the cell runs 300 s)
    ended = pipelines.get_run(store, running.id, root=store_dir)
    assert ended.run.status == "cancelled"
    assert {s.step: s.status for s in ended.step_runs} == {
        "slow": "cancelled",
        "after": "cancelled",
    }
    with pytest.raises(ConflictError, match="has ended"):
        pipelines.cancel(store, running.id, root=store_dir)
    with pytest.raises(NotFoundError):
        pipelines.cancel(store, "nope", root=store_dir)


def test_the_command_line_cancels_a_run_by_the_id_another_shell_printed(store_dir: Path) -> None:
    notebook(
        store_dir / "slow.ipynb",
        "seconds = 300",
        "import time\nfor i in range(seconds * 10):\n    print(i, flush=True)\n    time.sleep(0.1)",
    )
    (store_dir / "slow.yaml").write_text("name: slow\nsteps:\n  slow: {notebook: slow.ipynb}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    command = [sys.executable, "-m", "jupyter_mlops.cli"]
    process = subprocess.Popen(
        [*command, "run", "slow.yaml"],
        cwd=store_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        # "pipeline slow: 1 step(s), run 3f9c2a7e": the id to cancel it by
        assert first.startswith("pipeline slow: 1 step(s), run "), first
        short = first.split()[-1]
        while "running" not in process.stdout.readline():
            pass
        cancelled = subprocess.run(
            [*command, "cancel", short],
            cwd=store_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert (cancelled.returncode, cancelled.stderr) == (0, "")
    assert cancelled.stdout == f"cancelled pipeline run {short} of slow: slow cancelled.\n"
    assert process.returncode == 1 and "pipeline cancelled" in rest, rest
    again = subprocess.run(
        [*command, "cancel", short], cwd=store_dir, env=env, capture_output=True, text=True
    )
    assert (again.returncode, again.stdout) == (1, "")
    assert again.stderr == (
        f"jupyter-mlops: error: Pipeline run {short} has ended (cancelled); only a running "
        "run can be cancelled.\n"
    )


def test_a_prefix_names_one_pipeline_run_or_is_refused(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    from jupyter_mlops.pipelines.cancel import cancel_run

    ids = iter([uuid.UUID("abcd0000" + "0" * 24), uuid.UUID("abcd1111" + "1" * 24)])
    monkeypatch.setattr(records.uuid, "uuid4", lambda: next(ids))
    store = current_store()
    made = [
        records.create_pipeline_run(
            store,
            name="p",
            spec_path="p.yaml",
            spec_digest="d",
            pipeline_version="v",
            env=None,
            run_id=None,
            params={},
            options={},
        )
        for _ in range(2)
    ]
    found = [records.find_pipeline_run(store, ref) for ref in ("abcd0", "ABCD1111")]
    assert [r.id if r else None for r in found] == made
    assert records.find_pipeline_run(store, "abc") is None  # under 4 characters: no prefix
    assert records.find_pipeline_run(store, "not-hex!") is None

    both = cli("cancel", "abcd")
    assert (both.code, both.out) == (2, "")
    assert both.err == (
        "jupyter-mlops: error: 'abcd' starts more than one pipeline run's id; give more of the "
        "id.\n"
    )
    assert [records.get_pipeline_run(store, i).status for i in made] == ["running", "running"]
    assert cancel_run("ABCD1") == made[1]
    assert [records.get_pipeline_run(store, i).status for i in made] == ["running", "cancelled"]


def _tracked_status(run_id: str | None) -> str:
    assert run_id is not None
    return get_run(run_id).status


def test_a_step_that_ends_after_the_cancel_stays_cancelled(store_dir: Path) -> None:
    # The step's kernel (another process) cancels the run and ends at once, before the runner
    # looks for a cancel: the step's end and the run's end come after the cancel.
    notebook(
        store_dir / "quick.ipynb",
        "x = 1",
        "import os\nimport jupyter_mlops as mlops\n"
        "mlops.pipelines.cancel_run(os.environ['MLOPS_PIPELINE_RUN'])",
    )
    notebook(store_dir / "after.ipynb", "x = 1", "print('after')")
    (store_dir / "pipeline.yaml").write_text(
        "name: quick\nsteps:\n  quick: {notebook: quick.ipynb}\n"
        "  after: {notebook: after.ipynb, needs: [quick]}\n"
    )
    store = current_store()
    result = run_pipeline("pipeline.yaml", progress=NullProgress(), store=store)

    assert result.status == "cancelled"
    assert {n: o.status for n, o in result.steps.items()} == {
        "quick": "cancelled",
        "after": "cancelled",
    }
    detail = pipelines.get_run(store, result.pipeline_run_id, root=store_dir)  # REST's answer
    assert (detail.run.status, detail.run.error) == ("cancelled", "cancelled")
    assert {s.step: s.status for s in detail.step_runs} == {
        "quick": "cancelled",
        "after": "cancelled",
    }
    assert detail.run.summary == "0 steps cached, 0 ran, 2 cancelled"
    listed = pipelines.list_runs(store, PipelineRunQuery(name="quick")).items
    assert [(r.id, r.status) for r in listed] == [(result.pipeline_run_id, "cancelled")]
    # The tracked runs: the pipeline's and the step's were cut short, not finished.
    assert _tracked_status(result.run_id) == "killed"
    assert _tracked_status(result.steps["quick"].run_id) == "killed"
    # A cancelled step is not reused: the next run runs it again.
    assert records.latest_done_steps(store, "quick", ["quick"]) == {}


def test_a_run_interrupted_after_its_cancel_stays_cancelled(store_dir: Path) -> None:
    process = start_long_run(store_dir)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("pipeline long: 2 step(s), run "), first
        while "running" not in process.stdout.readline():
            pass
        store = current_store()
        (running,) = pipelines.list_runs(store, PipelineRunQuery(name="long")).items
        pipelines.cancel(store, running.id, root=store_dir)
        # Ctrl-C in the terminal running it, before its runner saw the cancel: the runner
        # ends by its exception path.
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, rest
    assert "pipeline cancelled" in rest and "jupyter-mlops: error: interrupted" in rest, rest
    detail = pipelines.get_run(store, running.id, root=store_dir)
    assert (detail.run.status, detail.run.error) == ("cancelled", "cancelled")
    assert {s.step: s.status for s in detail.step_runs} == {
        "slow": "cancelled",
        "after": "cancelled",
    }
    assert _tracked_status(detail.run.run_id) == "killed"
    assert _tracked_status(detail.step_runs[0].run_id) == "killed"


def test_an_interrupt_sent_to_the_runner_alone_stops_its_running_step(store_dir: Path) -> None:
    # `kill -INT`, or a CI job's cancel, reaches the runner's process and not its kernels (a
    # terminal's Ctrl-C reaches both): the runner must stop the step's kernel, not wait 300 s
    # for the cell to end.
    process = start_long_run(store_dir, announce=True)
    try:
        assert process.stdout is not None
        while "running" not in process.stdout.readline():
            pass
        deadline = time.monotonic() + 60
        while not (store_dir / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # the cell is running: only the runner can stop it now
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, rest
    assert "jupyter-mlops: error: interrupted" in rest, rest
    store = current_store()
    (ended,) = pipelines.list_runs(store, PipelineRunQuery(name="long")).items
    detail = pipelines.get_run(store, ended.id, root=store_dir)
    assert (detail.run.status, detail.run.error) == ("failed", "KeyboardInterrupt: ")
    assert {s.step: s.status for s in detail.step_runs} == {"slow": "failed", "after": "skipped"}
    assert detail.step_runs[1].error == {"note": "not run: KeyboardInterrupt: "}
    assert _tracked_status(detail.run.run_id) == "killed"
