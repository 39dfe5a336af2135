"""Two runs of the same pipeline at once on one PostgreSQL store: both succeed and the cache
records stay whole (a third run finds the step up to date)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from jupyter_mlops.pipelines import status
from jupyter_mlops.store import open_store
from jupyter_mlops.store import pipelines as records

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])

SPEC = """\
name: tiny
steps:
  prepare: {notebook: prepare.ipynb, outputs: [data/x.txt]}
"""

RUNNER = textwrap.dedent(
    """
    import sys
    from jupyter_mlops.pipelines import run_pipeline
    from jupyter_mlops.pipelines.progress import NullProgress

    result = run_pipeline("pipeline.yaml", progress=NullProgress())
    print(result.pipeline_run_id if result.ok else "FAILED " + repr(result.failed))
    """
)


def test_two_runs_of_one_pipeline_at_once_keep_the_cache_whole(
    store_dir: Path, store_uri: str
) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("n = 3")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(
            "from pathlib import Path\nPath('data').mkdir(exist_ok=True)\n"
            "Path('data/x.txt').write_text(str(n))"
        ),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, store_dir / "prepare.ipynb")
    (store_dir / "pipeline.yaml").write_text(SPEC)
    env = {**os.environ, "MLOPS_STORE_URI": store_uri}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RUNNER], cwd=store_dir, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]  # fmt: skip
    outs = [proc.communicate(timeout=240) for proc in procs]
    for proc, (out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err
        assert not out.startswith("FAILED"), out
    run_ids = [out.strip().splitlines()[-1] for out, _ in outs]

    store = open_store(store_uri, str(store_dir / ".mlops" / "objects"))
    try:
        steps = [records.step_runs(store, run_id) for run_id in run_ids]
        assert all(len(rows) == 1 for rows in steps)
        statuses = sorted(rows[0].status for rows in steps)
        # Both ran the step, or the second found the first's result: never a broken record.
        assert statuses in (["ok", "ok"], ["cached", "ok"])
        keys = {rows[0].cache_key for rows in steps}
        assert len(keys) == 1 and None not in keys
        assert (store_dir / "data" / "x.txt").read_text() == "3"
        plans = status(store_dir / "pipeline.yaml", store=store)
        assert plans["prepare"].action == "cached", plans["prepare"].reason
    finally:
        store.close()
