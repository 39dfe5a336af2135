"""A real `jupyter server` (subprocess, random port and token) over a seeded project.

One server per backend for this folder (``[sqlite]``, then ``[postgresql]``: the store
database is SQLite in the project's ``.mlops/`` or a fresh database on the session's
PostgreSQL; artifacts stay in the project folder). Starting Jupyter costs seconds, and the
tests that change state (promotions, schedules) each work on names of their own.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest
import requests
from _postgres import PostgresServer
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops.artifacts.cas import hash_bytes
from jupyter_mlops.config import load_config
from jupyter_mlops.store import Store, open_store
from tests._jupyter import API, start_jupyter
from tests.conftest import BACKENDS

STORE_WAIT_S = 1.0
SECRET = b"top secret: never served\n"


@dataclass
class Seeded:
    """What the project holds before the server starts."""

    runs: dict[str, str] = field(default_factory=dict)
    artifact_digest: str = ""
    artifact_bytes: bytes = b""
    outside_digest: str = ""
    large_digest: str = ""
    large_bytes: bytes = b""
    fragile_digest: str = ""


@dataclass
class Server:
    url: str
    token: str
    root: Path
    seeded: Seeded
    process: subprocess.Popen[bytes]
    log: Path
    backend: str
    #: The ``MLOPS_*`` settings the server runs with (none on SQLite: the defaults).
    settings: dict[str, str]

    def open_store(self) -> Store:
        """The server's store, opened from this process (close it after use)."""
        return open_store(config=load_config(self.root, environ=self.settings))

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(f"{self.url}{API}/{path}", headers=self._auth(), timeout=60, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return requests.post(
            f"{self.url}{API}/{path}", json=body, headers=self._auth(), timeout=300, **kwargs
        )

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.delete(
            f"{self.url}{API}/{path}", headers=self._auth(), timeout=60, **kwargs
        )

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}


def notebook(path: Path, params: str, *cells: str) -> None:
    nb = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]})
    nb.cells = [first, *(nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in cells)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def _seed(root: Path, store: Store) -> Seeded:
    seeded = Seeded()
    X = [[0.0, 1.0], [1.0, 0.0], [0.0, 0.5], [1.0, 0.2]] * 5
    y = [0, 1, 0, 1] * 5
    for i, auc in enumerate((0.7, 0.8, 0.9)):
        with mlops.start_run(f"run-{i}", experiment="exp", store=store) as run:
            run.log_param("C", str(i))
            run.log_metric("auc", auc)
            for step, loss in enumerate((3.0, 2.0, 1.5)):
                run.log_metric("loss", loss * (i + 1), step=step)
            if i == 0:
                seeded.artifact_bytes = b"col\n1\n2\n"
                (root / "report.csv").write_bytes(seeded.artifact_bytes)
                info = run.log_artifact(root / "report.csv", "report.csv")
                seeded.artifact_digest = info[0].digest
                # Larger than what the API verifies whole before sending: it streams.
                seeded.large_bytes = os.urandom(17 * 1024 * 1024)
                info = run.log_artifact(seeded.large_bytes, "weights.bin")
                seeded.large_digest = info[0].digest
                info = run.log_artifact(b"fragile content\n", "fragile.txt")
                seeded.fragile_digest = info[0].digest
        seeded.runs[f"run-{i}"] = run.id
    with mlops.start_run("nan-run", experiment="other", store=store) as run:
        run.log_metric("auc", float("nan"))
        run.set_tag("owner", "ana")
    seeded.runs["nan-run"] = run.id
    # Models: one run per version.
    for name, aucs in (("churn", (0.8, 0.9)), ("gated", (0.8, 0.95)), ("racy", (0.8,))):
        for auc in aucs:
            with mlops.start_run(experiment="models", store=store) as run:
                run.log_model(LogisticRegression().fit(X, y), "model")
                run.log_metric("roc_auc", auc)
            mlops.models.register(run.id, name, store=store)
    # A dataset.
    (root / "data").mkdir()
    (root / "data" / "churn.csv").write_text("a,b\n1,x\n2,y\n3,z\n")
    mlops.data.add(str(root / "data" / "churn.csv"), "churn", store=store)
    # A monitor: runs tagged with its name.
    for share, drift in ((0.1, 0.0), (0.6, 1.0)):
        with mlops.start_run(experiment="monitoring", store=store) as run:
            run.set_tag("mlops.monitor", "drift-watch")
            run.log_metric("drift.share", share)
            run.log_metric("drift.dataset_drift", drift)
    # Notebooks for a pipeline and a schedule.
    (root / "pipe").mkdir()
    notebook(
        root / "pipe" / "train.ipynb",
        "auc = 0.9",
        "import jupyter_mlops as mlops\nmlops.log_metric('auc', auc)",
    )
    (root / "pipe" / "pipeline.yaml").write_text(
        "name: tiny\nsteps:\n  train: {notebook: train.ipynb}\n"
    )
    notebook(root / "job.ipynb", "x = 1", "y = x + 1")
    notebook(
        root / "validate.ipynb",
        "model_uri = ''\nstage = ''\nvalidation_run_id = ''",
        """
        import jupyter_mlops as mlops
        with mlops.start_run(parent=validation_run_id) as run:
            run.log_metric("checked", 1.0)
        """,
    )
    # A file of the same content outside the object store: its digest must not serve it.
    outside = root.parent / "outside.txt"
    outside.write_bytes(SECRET)
    (root / "secret.txt").write_bytes(SECRET)
    seeded.outside_digest = hash_bytes(SECRET)
    return seeded


@pytest.fixture(scope="package", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The server over a seeded store on each backend.

    pytest groups the tests by backend, so one server runs at a time, and stops the last one
    when the tests of this folder are done.
    """
    backend = str(request.param)
    base = tmp_path_factory.mktemp(f"server-{backend}")
    root = base / "project"
    (root / ".mlops").mkdir(parents=True)
    settings: dict[str, str] = {}
    postgres: PostgresServer | None = None
    if backend == "postgresql":
        postgres = request.getfixturevalue("postgres")
        settings["MLOPS_STORE_URI"] = postgres.new_database()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    env.update(settings)
    # The store exists (migrated) before the server starts; it is seeded while Jupyter boots.
    store = open_store(config=load_config(root, environ=env))
    jupyter = start_jupyter(
        root,
        base,
        settings,
        # Roles: @authorized asks this Authorizer (tests/server/authz.py).
        "--ServerApp.authorizer_class=tests.server.authz.RefuseForbidden",
        "--MlopsExtension.run_scheduler=True",
        "--MlopsExtension.scheduler_poll=0.5",
        # Requests give up on an unreachable database after this (test_postgres_outage).
        f"--MlopsExtension.store_wait={STORE_WAIT_S}",
    )
    process, log = jupyter.process, jupyter.log
    try:
        seeded = _seed(root, store)
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        store.close()
    try:
        jupyter.wait_ready()
        yield Server(jupyter.url, jupyter.token, root, seeded, process, log, backend, settings)
    finally:
        text = jupyter.stop()
    if postgres is not None:
        postgres.drop_database(settings["MLOPS_STORE_URI"])
    # The scheduler thread and the worker pools stopped with the server, without errors.
    assert "Traceback" not in text, text[-5000:]
    assert "jupyter_mlops: running due schedules" in text
    for block in text.split("endpoints without @allow_unauthenticated")[1:]:
        assert "mlops" not in block.split("\n[")[0], block
