"""``import mlflow``: a second import while one runs is refused in one line; a killed one's
claim does not block; runs MLflow deleted come over marked."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.interop import lock
from jupyter_mlops.store import Store
from jupyter_mlops.store import interop as q
from tests.interop.conftest import T0, Source

pytestmark = pytest.mark.filterwarnings(r"ignore:::mlflow(\.|$)")

_SLOW = """
import sys, time
import jupyter_mlops.interop.mlflow as m
m.PAGE = 1
from jupyter_mlops.store import interop as q
write = q.write_new
def slow(store, runs):
    write(store, runs)
    print("page", flush=True)
    time.sleep(2)
q.write_new = slow
m.import_mlflow(sys.argv[1])
"""


def test_a_second_import_while_one_runs_is_refused_in_one_line(
    store_dir: Path, cli: Callable[..., Any], make_source: Callable[[str], Source]
) -> None:
    src = make_source("sqlite")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    with subprocess.Popen(
        [sys.executable, "-W", "ignore", "-c", _SLOW, src.uri],
        cwd=store_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as first:
        try:
            assert first.stdout is not None
            assert first.stdout.readline().strip() == "page"  # it holds the store now
            refused = cli("import", "mlflow", "--from", src.uri)
            assert refused.code == 2
            err = refused.err.strip()
            assert len(err.splitlines()) == 1
            assert f"Another import into this store is running (pid {first.pid}" in err
            assert "wait for it to end" in err
            first.stdout.read()
            assert first.wait(timeout=180) == 0
        finally:
            if first.poll() is None:
                first.kill()
    done = cli("import", "mlflow", "--from", src.uri, "--format", "json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["runs_present"] == 4


def test_a_killed_imports_claim_does_not_block_the_next(
    store: Store, make_source: Callable[[str], Source]
) -> None:
    src = make_source("sqlite")
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = int(gone.stdout)  # a process that has ended
    claim = {"pid": dead, "host": socket.gethostname(), "source": "x", "started": 0, "beat": 0}
    assert q.claim(store, lock.KEY, json.dumps(claim), lambda theirs: False) is None

    report = mlops.interop.import_mlflow(src.uri, store=store)

    assert report.runs_imported == 4
    # The claim went with the import: nothing holds it now.
    assert q.claim(store, lock.KEY, "probe", lambda theirs: False) is None
    q.release(store, lock.KEY, "probe")

    # Another host's claim holds while its heartbeat is fresh, and lapses after.
    fresh = {**claim, "host": "elsewhere", "beat": time.time(), "pid": 1}
    q.claim(store, lock.KEY, json.dumps(fresh), lambda theirs: True)
    with pytest.raises(mlops.MlopsUsageError, match="pid 1 on elsewhere"):
        mlops.interop.import_mlflow(src.uri, store=store)
    stale = {**fresh, "beat": time.time() - lock.STALE_AFTER - 1}
    q.claim(store, lock.KEY, json.dumps(stale), lambda theirs: True)
    assert mlops.interop.import_mlflow(src.uri, store=store).runs_present == 4


def test_runs_deleted_in_mlflow_come_over_marked_and_restoring_one_unmarks_it(
    store: Store, make_source: Callable[[str], Source], mlflow_client: Callable[[str], Any]
) -> None:
    src = make_source("file")
    c = mlflow_client(src.uri)
    exp = c.get_experiment_by_name("extra").experiment_id
    gone = c.create_run(exp, run_name="gone", start_time=T0 + 5).info.run_id
    c.log_metric(gone, "auc", 0.4, timestamp=T0, step=0)
    c.set_terminated(gone, "FINISHED", end_time=T0 + 50)
    c.delete_run(gone)

    report = mlops.interop.import_mlflow(src.uri, store=store)

    assert (report.runs_imported, report.runs_deleted) == (5, 1)
    assert any("1 run deleted in MLflow" in line for line in report.not_mapped)
    run = mlops.get_run(gone, store=store)
    assert run.tags["mlflow.lifecycle"] == "deleted" and run.metrics["auc"] == 0.4
    assert run.deleted_at is not None
    assert "gone" not in set(mlops.search_runs(store=store)["name"])  # as if deleted here

    c.restore_run(gone)
    later = mlops.interop.import_mlflow(src.uri, store=store)
    assert (later.runs_updated, later.runs_deleted) == (1, 0)
    restored = mlops.get_run(gone, store=store)
    assert "mlflow.lifecycle" not in restored.tags and restored.deleted_at is None
    assert "gone" in set(mlops.search_runs(store=store)["name"])
