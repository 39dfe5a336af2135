"""``jupyter-mlops import mlflow`` and ``%mlops import mlflow``: bad sources refused in one
line with nothing written; an interrupted import finished by the next one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import jupyter_mlops as mlops
from tests.interop.conftest import Source

pytestmark = pytest.mark.filterwarnings(r"ignore:::mlflow(\.|$)")


def _nothing_written() -> None:
    assert mlops.search_runs().empty


def test_cli_imports_and_prints_the_record_as_json(
    store_dir: Path, cli: Callable[..., object], make_source: Callable[[str], Source]
) -> None:
    src = make_source("sqlite")
    result = cli("import", "mlflow", "--from", src.uri, "--format", "json")
    assert result.code == 0, result.err  # type: ignore[attr-defined]
    record = json.loads(result.out)  # type: ignore[attr-defined]
    assert record["runs_imported"] == 4 and record["source"] == src.uri
    text = cli("import", "mlflow", "--from", src.uri)
    assert text.code == 0  # type: ignore[attr-defined]
    assert "Imported 0 runs" in text.out and "4 already here" in text.out  # type: ignore[attr-defined]
    assert "Merged into existing experiments (same name): churn, extra" in text.out  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("nonsense://somewhere", "not an MLflow tracking URI"),
        ("sqlite:///{tmp}/absent.db", "no database file"),
        ("sqlite:///{tmp}/garbage.db", "is not a SQLite database"),
        ("sqlite:///{tmp}/plain.db", "is not an MLflow database"),
        ("file:{tmp}/nowhere", "no mlruns folder"),
        ("file:{tmp}", "holds no MLflow experiment"),
        ("http://127.0.0.1:9", "Cannot read the MLflow store"),
    ],
)
def test_a_bad_source_is_refused_in_one_line_with_exit_2_and_nothing_written(
    store_dir: Path, cli: Callable[..., object], uri: str, says: str
) -> None:
    import sqlite3

    (store_dir / "garbage.db").write_bytes(b"this is not a database" * 100)
    sqlite3.connect(store_dir / "plain.db").execute("CREATE TABLE t (x)").connection.commit()
    result = cli("import", "mlflow", "--from", uri.format(tmp=store_dir))
    assert result.code == 2  # type: ignore[attr-defined]
    err = result.err.strip()  # type: ignore[attr-defined]
    assert len(err.splitlines()) == 1 and says in err
    assert "sqlite:///" in err or "file:" in err or "http" in err  # says what to give
    _nothing_written()
    assert (store_dir / "plain.db").stat().st_size < 10_000  # not turned into an MLflow db


def test_magic_imports_and_says_what_came_over(
    ip: object, make_source: Callable[[str], Source]
) -> None:
    src = make_source("file")
    ran = ip.run(f"%mlops import mlflow --from {src.uri} --experiment churn")  # type: ignore[attr-defined]
    assert "mlops: Imported 3 runs" in ran.stdout
    assert "RUNNING in MLflow: imported as killed" in ran.stdout
    assert sorted(mlops.search_runs()["name"]) == ["baseline", "fold-1", "still-going"]


def test_magic_refuses_a_bad_source_with_a_usage_error(ip: object) -> None:
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="not an MLflow tracking URI"):
        ip.run("%mlops import mlflow --from nonsense://x")  # type: ignore[attr-defined]


_KILLED = """
import os, sys
import jupyter_mlops.interop.mlflow as m
m.PAGE = 1
from jupyter_mlops.store import interop as q
write = q.write_new
calls = []
def dying(store, runs):
    write(store, runs)
    calls.append(1)
    if len(calls) == 2:
        os._exit(9)  # killed after its second page
q.write_new = dying
m.import_mlflow(sys.argv[1])
"""


def test_a_killed_import_leaves_whole_runs_and_the_next_one_finishes_it(
    store_dir: Path, make_source: Callable[[str], Source]
) -> None:
    src = make_source("sqlite")
    env = {**os.environ, "PYTHONPATH": os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env["PYTHONPATH"] = str(Path(__file__).parents[2]) + os.pathsep + env["PYTHONPATH"]
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", _KILLED, src.uri],
        cwd=store_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 9, done.stderr
    assert len(mlops.search_runs()) == 2  # two whole runs, nothing of the rest
    finished = mlops.interop.import_mlflow(src.uri)
    assert (finished.runs_imported, finished.runs_present) == (2, 2)
    runs = mlops.search_runs()
    assert len(runs) == 4 and runs["run_id"].is_unique
    assert len(mlops.get_metric_history(src.parent, "auc")) == 3
