"""Pipelines: what a run would do (status) and a run's steps, the same from the Python API,
``%mlops pipeline``, the CLI's JSON and REST; a refused parameter is refused alike; a run
cancelled from any face ends cancelled on every face."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from IPython.core.error import UsageError

import jupyter_mlops as mlops
from jupyter_mlops.errors import ConflictError, MlopsUsageError, NotFoundError
from jupyter_mlops.pipelines.progress import NullProgress
from tests.parity.conftest import Faces


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


def spec(faces: Faces, name: str) -> str:
    """A two-step pipeline ``name`` in the project (its own notebooks and output)."""
    root = faces.project.root
    notebook(root / f"{name}-make.ipynb", "n = 2", f"open('{name}.txt', 'w').write(str(n))")
    notebook(
        root / f"{name}-score.ipynb",
        "auc = 0.9",
        "import jupyter_mlops as mlops\nmlops.log_metric('auc', auc)",
    )
    (root / f"{name}.yaml").write_text(
        f"name: {name}\nsteps:\n"
        f"  make: {{notebook: {name}-make.ipynb, outputs: [{name}.txt]}}\n"
        f"  score: {{notebook: {name}-score.ipynb, needs: [make], gate: 'metrics.auc >= 0.5'}}\n"
    )
    return f"{name}.yaml"


def test_what_a_run_would_do_is_the_same_everywhere(faces: Faces) -> None:
    path = spec(faces, "p-status")
    rest = faces.rest("pipelines/status", spec=path, params=["make.n=3"])
    cli = faces.cli_json("status", path, "-p", "make.n=3")
    assert cli == rest
    assert [(s["step"], s["action"], s["reason"]) for s in rest["steps"]] == [
        ("make", "run", "never ran"),
        ("score", "run", "never ran"),
    ]
    assert rest["summary"] == "2 of 2 step(s) would run."
    plans = mlops.pipelines.status(path, params=["make.n=3"])
    api = [
        {"step": p.step, "action": p.action, "reason": p.reason, "key": p.key}
        for p in plans.values()
    ]
    assert api == rest["steps"]
    text = faces.cli("status", path, "-p", "make.n=3").out
    assert faces.magic(f"pipeline status {path} -p make.n=3").displays[0]["text/plain"] == (
        text.rstrip("\n")
    )


def test_a_runs_steps_are_the_same_everywhere(faces: Faces) -> None:
    path = spec(faces, "p-steps")
    started = faces.send("POST", "pipelines/runs", {"spec": path, "wait": True})
    assert started.status_code == 200, started.text
    first = started.json()
    assert first["run"]["status"] == "ok" and first["run"]["summary"] == "0 steps cached, 2 ran"
    assert faces.rest(f"pipelines/runs/{first['run']['id']}") == first

    cli = faces.cli_json("run", path)
    assert cli == faces.rest(f"pipelines/runs/{cli['run']['id']}")
    assert cli["run"]["summary"] == "2 steps cached, 0 ran"
    assert [(s["step"], s["status"], s["reason"]) for s in cli["step_runs"]] == [
        ("make", "cached", "up to date"),
        ("score", "cached", "up to date"),
    ]
    # a cached step reuses the run that made its result
    assert [s["run_id"] for s in cli["step_runs"]] == [s["run_id"] for s in first["step_runs"]]

    record = faces.magic(f"pipeline run {path}").value
    assert record.model_dump(mode="json") == faces.rest(f"pipelines/runs/{record.run.id}")

    result = mlops.pipelines.run_pipeline(path, progress=NullProgress(), store=faces.store)
    rest = faces.rest(f"pipelines/runs/{result.pipeline_run_id}")
    assert {n: o.status for n, o in result.steps.items()} == {
        s["step"]: s["status"] for s in rest["step_runs"]
    }
    page = faces.rest("pipelines/runs", name="p-steps")
    assert [r["summary"] for r in page["items"]] == [
        "2 steps cached, 0 ran",
        "2 steps cached, 0 ran",
        "2 steps cached, 0 ran",
        "0 steps cached, 2 ran",
    ]


def test_an_unknown_parameter_is_refused_alike(faces: Faces) -> None:
    path = spec(faces, "p-refused")
    rest = faces.project.jupyter.get(
        "pipelines/status", params={"spec": path, "params": "make.m=1"}
    )
    assert rest.status_code == 400, rest.text
    message = rest.json()["error"]
    assert "unknown parameter 'm'" in message
    cli = faces.cli("status", path, "-p", "make.m=1")
    assert (cli.code, cli.out, cli.err) == (2, "", f"jupyter-mlops: error: {message}\n")
    run = faces.cli("run", path, "-p", "make.m=1")
    assert (run.code, run.err) == (2, f"jupyter-mlops: error: {message}\n")
    posted = faces.send("POST", "pipelines/runs", {"spec": path, "params": ["make.m=1"]})
    assert posted.status_code == 400 and posted.json()["error"] == message
    with pytest.raises(UsageError) as magic:
        faces.magic(f"pipeline run {path} -p make.m=1")
    assert str(magic.value) == message
    with pytest.raises(MlopsUsageError, match="unknown parameter 'm'"):
        mlops.pipelines.status(path, params=["make.m=1"])


def _slow_spec(faces: Faces, name: str) -> str:
    """A pipeline ``name`` whose first step runs for minutes unless cancelled."""
    root = faces.project.root
    notebook(
        root / f"{name}-slow.ipynb",
        "seconds = 300",
        "import time\nfor i in range(seconds * 10):\n    print(i, flush=True)\n    time.sleep(0.1)",
    )
    notebook(root / f"{name}-after.ipynb", "x = 1", "print('after')")
    (root / f"{name}.yaml").write_text(
        f"name: {name}\nsteps:\n  slow: {{notebook: {name}-slow.ipynb}}\n"
        f"  after: {{notebook: {name}-after.ipynb, needs: [slow]}}\n"
    )
    return f"{name}.yaml"


def _wait(faces: Faces, run_id: str, done: Any, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    detail: dict[str, Any] = faces.rest(f"pipelines/runs/{run_id}")
    while not done(detail) and time.monotonic() < deadline:
        time.sleep(0.2)
        detail = faces.rest(f"pipelines/runs/{run_id}")
    assert done(detail), detail
    return detail


def _running(faces: Faces, path: str) -> str:
    """Start ``path`` in the server (as the lab does); its id once its slow step runs."""
    started = faces.send("POST", "pipelines/runs", {"spec": path, "force": True})
    assert started.status_code == 202, started.text
    run_id = str(started.json()["run"]["id"])
    # The runner adds the step runs just after the 202: the first reads may find none yet.
    _wait(
        faces,
        run_id,
        lambda d: d["step_runs"][:1] and d["step_runs"][0]["status"] == "running",
        120,
    )
    return run_id


def _killed(faces: Faces, run_id: str) -> dict[str, Any]:
    """The run once its step's kernel is gone: the server's runner saw the cancel."""
    detail = _wait(faces, run_id, lambda d: all(s["ended"] for s in d["step_runs"]), 30)
    assert detail["run"]["status"] == "cancelled"
    assert [(s["step"], s["status"]) for s in detail["step_runs"]] == [
        ("slow", "cancelled"),
        ("after", "cancelled"),
    ]
    return detail


def test_a_run_cancelled_on_any_face_ends_cancelled_everywhere(faces: Faces) -> None:
    path = _slow_spec(faces, "p-cancel")

    run_id = _running(faces, path)
    clock = time.monotonic()
    cli = faces.cli_json("cancel", run_id[:8])  # the 8 characters `run` prints
    assert cli["run"]["id"] == run_id and cli["run"]["status"] == "cancelled"
    # What the cancel decided reads the same over REST; the runner notes when the killed
    # step's kernel ended a moment later, so the two answers may differ in that time alone.
    assert _decided(cli) == _decided(faces.rest(f"pipelines/runs/{run_id}"))
    _killed(faces, run_id)
    assert time.monotonic() - clock < 20  # killed, not waited for (the cell runs 300 s)

    run_id = _running(faces, path)
    assert faces.magic(f"pipeline cancel {run_id}").stdout == f"mlops: {_said(run_id)}\n"
    _killed(faces, run_id)

    run_id = _running(faces, path)
    assert mlops.pipelines.cancel_run(run_id) == run_id
    _killed(faces, run_id)

    run_id = _running(faces, path)
    assert faces.cli("cancel", run_id).out == f"{_said(run_id)}\n"
    _killed(faces, run_id)


def test_a_step_ending_after_the_cancel_leaves_it_cancelled_everywhere(faces: Faces) -> None:
    # The step's kernel cancels its own run and ends at once: the server's runner ends the
    # step and the run after the cancel, and neither end may undo it.
    root = faces.project.root
    notebook(
        root / "p-late-quick.ipynb",
        "x = 1",
        "import os\nimport jupyter_mlops as mlops\n"
        "mlops.pipelines.cancel_run(os.environ['MLOPS_PIPELINE_RUN'])",
    )
    notebook(root / "p-late-after.ipynb", "x = 1", "print('after')")
    (root / "p-late.yaml").write_text(
        "name: p-late\nsteps:\n  quick: {notebook: p-late-quick.ipynb}\n"
        "  after: {notebook: p-late-after.ipynb, needs: [quick]}\n"
    )
    ended = faces.send("POST", "pipelines/runs", {"spec": "p-late.yaml", "wait": True})
    assert ended.status_code == 200, ended.text
    rest = ended.json()
    assert (rest["run"]["status"], rest["run"]["error"]) == ("cancelled", "cancelled")
    assert [(s["step"], s["status"]) for s in rest["step_runs"]] == [
        ("quick", "cancelled"),
        ("after", "cancelled"),
    ]
    assert faces.rest(f"pipelines/runs/{rest['run']['id']}") == rest
    (listed,) = faces.rest("pipelines/runs", name="p-late")["items"]
    assert listed == rest["run"]
    # The pipeline's tracked run and the step's read killed on the runs' faces too.
    for run_id in (rest["run"]["run_id"], rest["step_runs"][0]["run_id"]):
        assert faces.rest(f"runs/{run_id}")["status"] == "killed"
        assert faces.cli_json("show", run_id)["status"] == "killed"
    cancel = faces.cli("cancel", rest["run"]["id"])
    assert cancel.code == 1 and "has ended (cancelled)" in cancel.err


def _decided(detail: dict[str, Any]) -> tuple[Any, ...]:
    run = detail["run"]
    steps = [(s["step"], s["status"], s["run_id"]) for s in detail["step_runs"]]
    return run["id"], run["status"], run["error"], steps


def _said(run_id: str) -> str:
    return f"cancelled pipeline run {run_id[:8]} of p-cancel: slow, after cancelled."


def test_cancelling_an_ended_or_unknown_run_is_refused_alike(faces: Faces) -> None:
    path = spec(faces, "p-cancel-ended")
    done = faces.send("POST", "pipelines/runs", {"spec": path, "wait": True}).json()["run"]
    assert done["status"] == "ok"
    rest = faces.send("POST", f"pipelines/runs/{done['id']}/cancel")
    assert rest.status_code == 409
    message = rest.json()["error"]
    assert message == (
        f"Pipeline run {done['id'][:8]} has ended (ok); only a running run can be cancelled."
    )
    cli = faces.cli("cancel", done["id"])
    assert (cli.code, cli.out, cli.err) == (1, "", f"jupyter-mlops: error: {message}\n")
    with pytest.raises(UsageError) as magic:
        faces.magic(f"pipeline cancel {done['id']}")
    assert str(magic.value) == message
    with pytest.raises(ConflictError) as api:
        mlops.pipelines.cancel_run(done["id"])
    assert str(api.value) == message
    assert faces.rest(f"pipelines/runs/{done['id']}")["run"]["status"] == "ok"

    unknown = faces.send("POST", "pipelines/runs/0ddba11/cancel")
    assert unknown.status_code == 404
    message = unknown.json()["error"]
    assert "0ddba11" in message
    cli = faces.cli("cancel", "0ddba11")
    assert (cli.code, cli.out, cli.err) == (2, "", f"jupyter-mlops: error: {message}\n")
    with pytest.raises(UsageError) as magic:
        faces.magic("pipeline cancel 0ddba11")
    assert str(magic.value) == message
    with pytest.raises(NotFoundError):
        mlops.pipelines.cancel_run("0ddba11")
    with pytest.raises(UsageError, match="the following arguments are required: PIPELINE_RUN"):
        faces.magic("pipeline cancel")
