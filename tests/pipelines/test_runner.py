"""The runner on real notebooks in real kernels: cache, failure, resume, gates, upstream."""

from __future__ import annotations

import concurrent.futures as cf
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_mlops import get_run
from jupyter_mlops.pipelines import accept, load, run_pipeline, status
from jupyter_mlops.pipelines.progress import NullProgress
from jupyter_mlops.store import current_store
from jupyter_mlops.store import pipelines as records


class CountingExecutor:
    """The local executor, counting what the runner asks of it."""

    def __init__(self, jobs: int = 1) -> None:
        from jupyter_mlops.pipelines.executors import make_executor

        self.inner = make_executor("local", jobs=jobs)
        self.submitted: list[str] = []
        self.prepared: list[int] = []

    def prepare(self, n: int) -> None:
        self.prepared.append(n)
        self.inner.prepare(n)

    def submit(self, request: Any) -> cf.Future[Any]:
        self.submitted.append(request.step)
        return self.inner.submit(request)

    def close(self) -> None:
        self.inner.close()


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


SPEC = """\
name: tiny
steps:
  prepare: {notebook: prepare.ipynb, outputs: [data/x.txt]}
  train: {notebook: train.ipynb, needs: [prepare], inputs: [data/x.txt], gate: "metrics.auc >= 0.5"}
  report: {notebook: report.ipynb, needs: [train]}
environments:
  dev: {params: {prepare.n: 2}}
"""


@pytest.fixture
def project(store_dir: Path) -> Path:
    (store_dir / "data").mkdir()
    notebook(
        store_dir / "prepare.ipynb",
        "n = 3",
        "from pathlib import Path\nPath('data/x.txt').write_text(str(n))",
    )
    notebook(
        store_dir / "train.ipynb",
        "fail = False\nauc = 0.9",
        "import jupyter_mlops as mlops\nn = int(open('data/x.txt').read())",
        "if fail:\n    raise ValueError('boom')",
        "mlops.log_metric('auc', auc)",
    )
    notebook(
        store_dir / "report.ipynb",
        "x = 0",
        "from jupyter_mlops.pipelines import upstream\nup = upstream('train')\n"
        "assert up.metrics['auc'] > 0.5, up\nprint('auc', up.metrics['auc'])",
    )
    (store_dir / "pipeline.yaml").write_text(SPEC)
    return store_dir


def run(project: Path, executor: CountingExecutor | None = None, **options: Any):
    executor = executor or CountingExecutor(jobs=options.pop("jobs", 1))
    try:
        return run_pipeline(
            project / "pipeline.yaml", executor=executor, progress=NullProgress(), **options
        )
    finally:
        executor.close()


def statuses(result) -> dict[str, str]:
    return {name: o.status for name, o in result.steps.items()}


def test_run_then_everything_is_cached(project: Path) -> None:
    first = run(project)
    assert first.ok, [o.error_line() for o in first.failed]
    assert statuses(first) == {"prepare": "ok", "train": "ok", "report": "ok"}
    store = current_store()
    rows = records.step_runs(store, first.pipeline_run_id)
    assert [r.status for r in rows] == ["ok", "ok", "ok"]
    assert rows[0].outputs.keys() == {"data/x.txt"}
    assert all(Path(r.output_notebook or "").is_file() for r in rows)
    from jupyter_mlops.store import runs as q

    train = q.load_run(store, rows[1].run_id or "")
    assert train.metrics["auc"] == 0.9
    assert train.tags["step"] == "train" and train.parent_id == first.run_id
    assert "report.ipynb" in {a.path for a in train.artifacts}
    # A step run's notebook is its executed report, not the unexecuted source; the parent
    # run links no notebook (pipeline.yaml is none; started from a notebook, it is that one).
    assert train.notebook_path == rows[1].output_notebook
    assert Path(train.notebook_path or "").is_file() and train.notebook_path.endswith("train.ipynb")
    assert q.load_run(store, first.run_id).notebook_path is None

    again = CountingExecutor()
    second = run(project, again)
    assert statuses(second) == {"prepare": "cached", "train": "cached", "report": "cached"}
    assert again.submitted == [] and again.prepared == []
    plans = status(project / "pipeline.yaml")
    assert {n: p.action for n, p in plans.items()} == dict.fromkeys(plans, "cached")

    # a new parameter value for train: train and report rerun, prepare stays cached
    plans = status(project / "pipeline.yaml", params=["train.auc=0.8"])
    assert plans["train"].reason == "changed params"
    assert plans["report"].reason == "changed upstream train"
    third = run(project, params=["train.auc=0.8"])
    assert statuses(third) == {"prepare": "cached", "train": "ok", "report": "ok"}

    # a deleted output reruns its step; the env overlay changes prepare's params
    (project / "data" / "x.txt").unlink()
    assert status(project / "pipeline.yaml")["prepare"].reason == "missing output data/x.txt"
    assert status(project / "pipeline.yaml", env="dev")["prepare"].reason == "changed params"


def test_a_cached_rerun_imports_no_notebook_machinery(project: Path) -> None:
    import subprocess
    import sys

    assert run(project).ok
    code = (
        "import sys, time\n"
        "from jupyter_mlops.pipelines import run_pipeline\n"
        "from jupyter_mlops.pipelines.progress import NullProgress\n"
        "took = []\n"
        "for _ in range(3):\n"
        "    t = time.perf_counter()\n"
        "    r = run_pipeline('pipeline.yaml', progress=NullProgress())\n"
        "    took.append(time.perf_counter() - t)\n"
        "took = min(took)\n"
        "bad = [m for m in ('papermill', 'nbclient', 'jupyter_client', 'pandas') "
        "if m in sys.modules]\n"
        "print(r.status, sorted({o.status for o in r.steps.values()}), bad, took < 0.3)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "ok ['cached'] [] True"


def test_failure_skips_downstream_and_resume_reruns_it(project: Path) -> None:
    failed = run(project, params=["train.fail=true"])
    assert statuses(failed) == {"prepare": "ok", "train": "failed", "report": "skipped"}
    line = failed.steps["train"].error_line()
    assert line.startswith("step 'train' failed at cell 3: ValueError: boom (see ")
    assert line.endswith("train.ipynb)")
    assert failed.status == "failed"
    executor = CountingExecutor()
    resumed = run(project, executor, resume=True)
    assert executor.submitted == ["train", "report"]
    assert statuses(resumed) == {"prepare": "cached", "train": "ok", "report": "ok"}


def test_gate_failure_fails_the_step(project: Path) -> None:
    result = run(project, params=["train.auc=0.1"])
    assert statuses(result) == {"prepare": "ok", "train": "failed", "report": "skipped"}
    assert "metrics.auc >= 0.5" in result.steps["train"].error_line()
    # --only a step whose upstream never ran: skipped, saying why
    other = run(project, only="report", force=False, params=["prepare.n=5"])
    assert other.steps["report"].status == "skipped"
    assert other.steps["report"].reason == "upstream 'train' skipped"


def test_parallel_steps_and_retries(store_dir: Path) -> None:
    for name in ("a", "b"):
        notebook(store_dir / f"{name}.ipynb", "x = 1", "import time\ntime.sleep(0.5)")
    notebook(
        store_dir / "flaky.ipynb",
        "x = 1",
        "from pathlib import Path\np = Path('tries')\np.write_text(p.read_text() + 'x' "
        "if p.exists() else 'x')\nassert len(p.read_text()) >= 2",
    )
    (store_dir / "pipeline.yaml").write_text(
        "name: par\nsteps:\n  a: {notebook: a.ipynb}\n  b: {notebook: b.ipynb}\n"
        "  flaky: {notebook: flaky.ipynb, needs: [a, b], retries: 1}\n"
    )
    executor = CountingExecutor(jobs=2)
    result = run(store_dir, executor)
    assert result.ok, [o.error_line() for o in result.failed]
    assert executor.prepared == [3]
    assert sorted(executor.submitted) == ["a", "b", "flaky", "flaky"]
    assert result.steps["flaky"].attempts == 2
    rows = {r.step: r for r in records.step_runs(current_store(), result.pipeline_run_id)}
    assert rows["a"].started is not None and rows["b"].started is not None
    # a and b ran at the same time
    assert abs(rows["a"].started - rows["b"].started) < 0.5


def test_accept_records_current_outputs(project: Path) -> None:
    (project / "data" / "x.txt").write_text("3")
    pipe = load(project / "pipeline.yaml")
    assert status(pipe)["prepare"].reason == "never ran"
    accept(pipe, "prepare")
    plans = status(pipe)
    assert plans["prepare"].action == "cached"
    assert plans["train"].action == "run"


def test_a_report_that_cannot_be_stored_fails_the_step_not_the_run(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from jupyter_mlops.store import reset_current_store

    with socket.socket() as sock:  # a port nothing listens on: the object store is down
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("MLOPS_ARTIFACTS_URI", "s3://reports/objects")
    monkeypatch.setenv("MLOPS_S3_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    reset_current_store()
    notebook(store_dir / "only.ipynb", "x = 1", "y = x + 1")
    (store_dir / "pipeline.yaml").write_text("name: down\nsteps:\n  only: {notebook: only.ipynb}\n")
    result = run(store_dir)
    outcome = result.steps["only"]
    assert (outcome.status, result.status) == ("failed", "failed")
    assert "report not stored" in outcome.error_line()
    assert get_run(outcome.run_id).status == "failed"  # not left "running"
