"""Reads work when writes cannot (issue 15 item 7), on SQLite and PostgreSQL.

A store is made read-only the way an operator would: SQLite opened read-only
(``?mode=ro``, what a read-only file or mount gives a non-root user), PostgreSQL with
``default_transaction_read_only``. Every face still lists and shows runs; a run whose process
died is shown ``killed`` although that cannot be recorded; a write fails in one line and
writes nothing. A run whose own records could not be written ends ``failed``, not ``killed``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

import jupyter_mlops as mlops
from jupyter_mlops.errors import MlopsError, ReadOnlyStoreError
from jupyter_mlops.store import Store, open_store, reset_current_store
from tests._jupyter import start_jupyter
from tests.conftest import RaisingShell, Result

GHOST = textwrap.dedent(
    """
    import os, sys
    import jupyter_mlops as mlops
    from jupyter_mlops.store import open_store

    store = open_store(sys.argv[1], sys.argv[2])
    run = mlops.start_run("ghost", experiment="e", store=store)
    run.log_metric("auc", 0.5)
    run.flush()
    print(run.id, flush=True)
    os._exit(0)  # dies without ending its run, as a killed kernel does
    """
)


class Project:
    """A store with one finished run and one whose process died, and how to open it."""

    def __init__(self, uri: str, objects: Path, ghost: str, ok: str) -> None:
        self.uri = uri
        self.objects = objects
        self.ghost = ghost
        self.ok = ok
        self.read_only_uri = uri

    def settings(self) -> dict[str, str]:
        return {"MLOPS_STORE_URI": self.read_only_uri, "MLOPS_ARTIFACTS_URI": str(self.objects)}


def _read_only(uri: str, postgres: Any) -> str:
    """Make the store at ``uri`` read-only; the URI to open it with."""
    url = make_url(uri)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///file:{url.database}?mode=ro&uri=true"
    with postgres.connect() as conn:
        conn.execute(f'ALTER DATABASE "{url.database}" SET default_transaction_read_only = on')
    return uri


@pytest.fixture
def project(
    store_uri: str, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> Iterator[Project]:
    objects = tmp_path / "objects"
    store = open_store(store_uri, str(objects))
    try:
        with mlops.start_run("ok", experiment="e", store=store) as run:
            run.log_metric("auc", 0.9)
    finally:
        store.close()
    script = tmp_path / "ghost.py"
    script.write_text(GHOST)
    done = subprocess.run(
        [sys.executable, str(script), store_uri, str(objects)],
        capture_output=True,
        text=True,
        check=True,
    )
    made = Project(store_uri, objects, done.stdout.strip(), run.id)
    postgres = request.getfixturevalue("postgres") if backend == "postgresql" else None
    made.read_only_uri = _read_only(store_uri, postgres)
    yield made
    if postgres is not None:  # writable again, so the fixture can drop it
        with postgres.connect() as conn:
            name = make_url(store_uri).database
            conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off')


@pytest.fixture
def read_only(project: Project) -> Iterator[Store]:
    store = open_store(project.read_only_uri, str(project.objects))
    yield store
    store.close()


def test_the_python_api_reads_a_read_only_store_and_shows_the_dead_run_killed(
    project: Project, read_only: Store
) -> None:
    found = mlops.search_runs(store=read_only)
    assert dict(zip(found["name"], found["status"], strict=True)) == {
        "ok": "finished",
        "ghost": "killed",
    }
    assert found.loc[found["name"] == "ghost", "end_time"].notna().all()
    ghost = mlops.get_run(project.ghost, store=read_only)
    assert ghost.status == "killed"
    assert "stopped without ending it" in (ghost.error or "")
    assert ghost.metrics == {"auc": 0.5}
    assert mlops.search_runs("status = 'finished'", store=read_only)["name"].tolist() == ["ok"]


def test_a_write_to_a_read_only_store_fails_in_one_line_and_writes_nothing(
    project: Project, read_only: Store
) -> None:
    with pytest.raises(ReadOnlyStoreError) as caught:
        mlops.start_run("refused", experiment="e", store=read_only)
    assert isinstance(caught.value, MlopsError)
    assert "\n" not in str(caught.value)
    assert "cannot be written" in str(caught.value)
    assert caught.value.__cause__ is not None
    writable = open_store(project.uri, str(project.objects))
    try:
        names = sorted(mlops.search_runs(store=writable)["name"])
        assert names == ["ghost", "ok"]
        # Writable again: the dead run's end is recorded now.
        assert mlops.get_run(project.ghost, store=writable).status == "killed"
    finally:
        writable.close()


def test_the_command_line_reads_a_read_only_store(
    project: Project,
    cli: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in project.settings().items():
        monkeypatch.setenv(key, value)
    reset_current_store()
    try:
        listed = cli("runs", "--format", "json")
        assert listed.code == 0, listed.err
        items = json.loads(listed.out)["items"]
        assert {r["name"]: r["status"] for r in items} == {"ok": "finished", "ghost": "killed"}
        shown = cli("show", project.ghost, "--format", "json")
        assert shown.code == 0, shown.err
        assert json.loads(shown.out)["status"] == "killed"
    finally:
        reset_current_store()


def test_the_magic_reads_a_read_only_store(
    project: Project, shell: RaisingShell, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in project.settings().items():
        monkeypatch.setenv(key, value)
    reset_current_store()
    try:
        shown = shell.run(f"%mlops show {project.ghost}")
        text = shown.stdout + "".join(shown.texts)
        assert "killed" in text
        assert "ghost" in text
    finally:
        reset_current_store()


def test_the_rest_api_reads_a_read_only_store(project: Project, tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    jupyter = start_jupyter(root, tmp_path, project.settings())
    try:
        jupyter.wait_ready()
        page = jupyter.get("runs")
        assert page.status_code == 200, page.text
        statuses = {r["name"]: r["status"] for r in page.json()["items"]}
        assert statuses == {"ok": "finished", "ghost": "killed"}
        detail = jupyter.get(f"runs/{project.ghost}")
        assert detail.status_code == 200
        assert detail.json()["status"] == "killed"
        status = jupyter.get("status").json()
        assert status["runs_by_status"] == {"finished": 1, "killed": 1}
    finally:
        log = jupyter.stop()
    assert "Traceback" not in log, log[-3000:]


class _WriteSwitch:
    """Lets the store's database take writes or not, on every connection it hands out.

    Set on checkout rather than on connect so the pool never has to be disposed: disposing
    while the run's background writer holds a connection would orphan that connection.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.refusing = False
        event.listen(store.engine, "checkout", self._on_checkout)

    def _on_checkout(self, dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        cur = dbapi_conn.cursor()
        if self.store.dialect == "sqlite":
            cur.execute(f"PRAGMA query_only = {'ON' if self.refusing else 'OFF'}")
        else:
            cur.execute(f"SET default_transaction_read_only = {'on' if self.refusing else 'off'}")
            dbapi_conn.commit()
        cur.close()

    def remove(self) -> None:
        event.remove(self.store.engine, "checkout", self._on_checkout)


def test_a_run_whose_writes_failed_ends_failed_not_killed(store: Store) -> None:
    run = mlops.start_run("unlucky", experiment="e", store=store)
    run.log_metric("auc", 0.7)
    run.flush()
    switch = _WriteSwitch(store)
    switch.refusing = True
    run.log_metric("auc", 0.8)
    with pytest.raises(ReadOnlyStoreError):
        run.end()
    assert run.status == "failed"
    # While the store refuses writes, a read shows the run as it was recorded.
    assert mlops.get_run(run.id, store=store).status == "running"
    switch.refusing = False
    deadline = time.monotonic() + 10
    while mlops.get_run(run.id, store=store).status == "running":
        assert time.monotonic() < deadline, "the run's end was never recorded"
        time.sleep(0.1)
    switch.remove()
    record = mlops.get_run(run.id, store=store)
    assert record.status == "failed"
    assert "could not be written when this run ended" in (record.error or "")
    assert record.metrics == {"auc": 0.8}  # what was buffered was written with its end


FULL_DISK = textwrap.dedent(
    """
    import json, os, resource, signal, sys
    import jupyter_mlops as mlops
    from jupyter_mlops.errors import MlopsError
    from jupyter_mlops.store import open_store

    store = open_store(sys.argv[1], sys.argv[2])
    run = mlops.start_run("during", experiment="e", store=store)
    run.log_metric("auc", 0.5)
    run.flush()
    # A full disk: no file of this process may grow past 1 MiB (EFBIG instead of SIGXFSZ).
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, hard))
    seen = {}
    try:
        run.log_artifact(os.urandom(2 * 1024 * 1024), "big.bin")
    except MlopsError as exc:
        seen["artifact"] = [type(exc).__name__, str(exc)]
    try:
        for step in range(30000):
            run.log_metric("loss", 1.0 / (step + 1))
        run.end()
    except MlopsError as exc:
        seen["end"] = [type(exc).__name__, str(exc)]
    found = mlops.search_runs(store=store)
    seen["read"] = dict(zip(found["name"], found["status"]))
    seen["temporaries"] = os.listdir(os.path.join(sys.argv[2], "tmp"))
    print(json.dumps(seen), flush=True)
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))  # space freed before exit
    """
)


def test_a_full_disk_fails_writes_in_one_line_reads_work_and_the_run_ends_failed(
    store_uri: str, tmp_path: Path, backend: str
) -> None:
    script = tmp_path / "full.py"
    script.write_text(FULL_DISK)
    objects = tmp_path / "objects"
    done = subprocess.run(
        [sys.executable, str(script), store_uri, str(objects)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    kind, message = seen["artifact"]
    assert kind == "ReadOnlyStoreError"
    assert "cannot be written" in message
    assert "\n" not in message
    assert seen["temporaries"] == []  # no partial object left behind
    # On SQLite the database is a file of this process too, so the run's end cannot be
    # written: it ends failed once there is space again (here: as the process exits). A
    # PostgreSQL server has its own disk: the run (which caught the error) finishes.
    ended = "failed" if backend == "sqlite" else "finished"
    if backend == "sqlite":
        assert seen["end"][0] == "ReadOnlyStoreError"
        assert seen["read"]["during"] in ("running", "failed")
    else:
        assert "end" not in seen
    store = open_store(store_uri, str(objects))
    try:
        record = mlops.get_run(mlops.search_runs(store=store)["run_id"][0], store=store)
        assert record.name == "during"
        assert record.status == ended
    finally:
        store.close()
