"""Pipelines on a real Dask cluster (scheduler and worker in their own processes), with S3."""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
import pytest
from sqlalchemy import select

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.pipelines import run_pipeline
from jupyter_mlops.pipelines.executors import DaskExecutor
from jupyter_mlops.pipelines.progress import NullProgress
from jupyter_mlops.store import Store
from jupyter_mlops.store import runs as q
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.records import RunRecord
from tests.team._dask import DaskCluster
from tests.team._s3 import MotoServer, free_port


def notebook(path: Path, *cells: str) -> None:
    nb = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell("x = 1")
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def step_runs(store: Store, pipeline_run_id: str) -> dict[str, list[RunRecord]]:
    """Each step's runs (one per attempt), oldest first."""
    found: dict[str, list[RunRecord]] = {}
    with store.read() as conn:
        rows = conn.execute(
            select(t.runs.c.id, t.runs.c.name)
            .where(t.runs.c.parent_id.isnot(None))
            .order_by(t.runs.c.start_time)
        ).all()
    for run_id, name in rows:
        record = q.load_run(store, run_id)
        if record.tags.get("pipeline_run") == pipeline_run_id:
            found.setdefault(name, []).append(record)
    return found


def test_a_step_runs_on_the_cluster_and_lands_in_the_store_and_on_s3(
    dask: DaskCluster, s3: MotoServer, s3_store: Store, store_dir: Path
) -> None:
    (store_dir / "rows.txt").write_text("42")  # the shared project folder
    notebook(
        store_dir / "train.ipynb",
        "import os\nimport jupyter_mlops as mlops\n"
        "mlops.log_param('kernel_parent', os.getppid())\n"
        "mlops.log_param('launched_by', os.environ['JPY_PARENT_PID'])\n"
        "rows = int(open('rows.txt').read())\n"
        "open('model.txt', 'w').write(f'fitted on {rows} rows')\n"
        "mlops.log_artifact('model.txt')\nmlops.log_metric('auc', 0.5 + rows / 100)",
    )
    (store_dir / "pipeline.yaml").write_text(
        "name: team\nsteps:\n  train: {notebook: train.ipynb}\n"
    )

    result = run_pipeline(
        store_dir / "pipeline.yaml", executor=dask.executor, progress=NullProgress()
    )

    assert result.ok, [o.error_line() for o in result.failed]
    (train,) = step_runs(s3_store, result.pipeline_run_id)["train"]
    worker = int(train.params["launched_by"])
    assert worker != os.getpid(), "the kernel ran on a worker"
    # Forked from the worker's fork server, so the worker's next steps start at once.
    assert int(train.params["kernel_parent"]) not in (worker, os.getpid())
    assert train.status == "finished"
    assert train.metrics["auc"] == pytest.approx(0.92)
    assert Path(result.steps["train"].output_notebook or "").is_file()
    artifacts = {a.path: a.digest for a in train.artifacts}
    # The step kernel's session log (what reproduce and diff read) comes with the step's files.
    assert sorted(artifacts) == ["mlops/session_cells.json", "model.txt", "report.ipynb"]
    for digest in artifacts.values():  # stored by the worker's kernel, and by the runner
        assert s3.filesystem().exists(s3_store.objects.path_for(digest))
    assert s3_store.objects.read_bytes(artifacts["model.txt"]) == b"fitted on 42 rows"


def test_a_step_whose_worker_is_killed_is_retried_or_fails_clearly(
    dask: DaskCluster, s3_store: Store, store_dir: Path
) -> None:
    # The worker that launched the kernel (its parent is the worker's fork server).
    kill = "import os, signal\nos.kill(int(os.environ['JPY_PARENT_PID']), signal.SIGKILL)"
    notebook(
        store_dir / "flaky.ipynb",
        "from pathlib import Path\nfirst = not Path('killed-once').exists()\n"
        "Path('killed-once').touch()",
        f"if first:\n    {kill.replace(chr(10), chr(10) + '    ')}",
    )
    notebook(store_dir / "doomed.ipynb", kill)
    (store_dir / "pipeline.yaml").write_text(
        "name: killers\nsteps:\n"
        "  flaky: {notebook: flaky.ipynb, retries: 1}\n"
        "  doomed: {notebook: doomed.ipynb, needs: [flaky]}\n"
    )
    started = time.monotonic()

    result = run_pipeline(
        store_dir / "pipeline.yaml", executor=dask.executor, progress=NullProgress()
    )

    assert time.monotonic() - started < 120
    flaky, doomed = result.steps["flaky"], result.steps["doomed"]
    assert (flaky.status, flaky.attempts) == ("ok", 2)
    assert (doomed.status, doomed.attempts) == ("failed", 1)
    assert "KilledWorker" in doomed.error_line()
    runs = step_runs(s3_store, result.pipeline_run_id)
    assert [r.status for r in runs["flaky"]] == ["failed", "finished"]
    assert "KilledWorker" in (runs["flaky"][0].error or "")
    assert [r.status for r in runs["doomed"]] == ["failed"]


def test_no_scheduler_at_the_address_is_a_clear_error() -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(MlopsUsageError) as info:
        DaskExecutor(address, timeout=1)
    assert str(info.value) == (
        f"No Dask scheduler answers at {address} (waited 1 s): start one with "
        "`dask scheduler`, or check the address."
    )


def test_a_step_carries_this_process_s_settings_but_its_own_win(tmp_path: Path) -> None:
    from jupyter_mlops.pipelines.execute import StepRequest
    from jupyter_mlops.pipelines.executors import with_settings

    request = StepRequest(
        "s",
        tmp_path / "s.ipynb",
        tmp_path / "o.ipynb",
        {},
        tmp_path,
        env={"MLOPS_ARTIFACTS_URI": "s3://b/step", "MLOPS_RUN_ID": "r1"},
    )
    environ = {
        "MLOPS_ARTIFACTS_URI": "s3://b/here",
        "MLOPS_S3_ENDPOINT_URL": "http://10.0.0.5:9000",
        "MLOPS_RUN_ID": "not-a-setting",
        "AWS_SECRET_ACCESS_KEY": "never-sent",
    }

    sent = with_settings(request, environ)

    assert sent.env == {
        "MLOPS_ARTIFACTS_URI": "s3://b/step",
        "MLOPS_RUN_ID": "r1",
        "MLOPS_S3_ENDPOINT_URL": "http://10.0.0.5:9000",
    }
