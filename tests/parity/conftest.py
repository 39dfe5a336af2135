"""Every face asked the same question: the Python API, ``%mlops``, the CLI's JSON and REST.

One Jupyter server per backend serves the project of this folder; each test works in that
project (as the working directory, with the backend's ``MLOPS_*`` settings) under names of
its own, and asks the faces through :class:`Faces`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from _postgres import PostgresServer

from jupyter_mlops.store import Store, current_store, reset_current_store
from tests._jupyter import Jupyter, start_jupyter
from tests.conftest import BACKENDS, RaisingShell, Ran, Result


@dataclass
class Project:
    """The folder the server serves, its ``MLOPS_*`` settings and the server."""

    root: Path
    settings: dict[str, str]
    jupyter: Jupyter
    backend: str


@pytest.fixture(scope="package", params=BACKENDS)
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Project]:
    backend = str(request.param)
    base = tmp_path_factory.mktemp(f"parity-{backend}")
    root = base / "project"
    (root / ".mlops").mkdir(parents=True)
    settings: dict[str, str] = {}
    postgres: PostgresServer | None = None
    if backend == "postgresql":
        postgres = request.getfixturevalue("postgres")
        settings["MLOPS_STORE_URI"] = postgres.new_database()
    jupyter = start_jupyter(root, base, settings)
    try:
        jupyter.wait_ready()
        yield Project(root, settings, jupyter, backend)
    finally:
        log = jupyter.stop()
        if postgres is not None:
            postgres.drop_database(settings["MLOPS_STORE_URI"])
    assert "Traceback" not in log, log[-5000:]


@dataclass
class Faces:
    """Ask one question four ways."""

    project: Project
    shell: RaisingShell
    run_cli: Callable[..., Result]

    @property
    def store(self) -> Store:
        """The project's store (write what the question is about through the Python API)."""
        return current_store()

    def cli(self, *argv: str) -> Result:
        """``jupyter-mlops ARGV`` in this process."""
        return self.run_cli(*argv)

    def cli_json(self, *argv: str) -> Any:
        """``jupyter-mlops ARGV --format json``, parsed (the command must succeed)."""
        result = self.run_cli(*argv, "--format", "json")
        assert result.code == 0, result.err
        return json.loads(result.out)

    def rest(self, path: str, **params: Any) -> Any:
        """``GET /mlops/api/v1/PATH?PARAMS``, parsed (the request must succeed)."""
        answer = self.project.jupyter.get(path, params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def send(self, method: str, path: str, body: Any = None) -> requests.Response:
        """``POST`` (with the JSON ``body``) or ``DELETE`` a REST path; the raw answer."""
        if method == "DELETE":
            return self.project.jupyter.delete(path)
        return self.project.jupyter.post(path, body)

    def magic(self, line: str) -> Ran:
        """Run ``%mlops LINE`` (or a whole cell when ``line`` has several lines)."""
        return self.shell.run(line if "\n" in line else f"%mlops {line}")


@pytest.fixture
def faces(
    project: Project,
    shell: RaisingShell,
    cli: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Faces]:
    for key in [k for k in os.environ if k.startswith("MLOPS_")]:
        monkeypatch.delenv(key)
    for key, value in project.settings.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(project.root)
    reset_current_store()
    yield Faces(project, shell, cli)
    reset_current_store()
