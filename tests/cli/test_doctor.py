"""``jupyter-mlops doctor``: where things are, where settings came from, and the checks."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import pytest

from jupyter_mlops import __version__
from jupyter_mlops.store import reset_current_store
from jupyter_mlops.store.migrations import HEAD_REVISION


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project that has never used jupyter-mlops: just a pyproject.toml."""
    for key in [k for k in os.environ if k.startswith("MLOPS_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'churn'\n")
    reset_current_store()
    yield tmp_path
    reset_current_store()


def section(out: str, title: str) -> list[str]:
    """The lines of one section of the report."""
    lines = out.splitlines()
    start = lines.index(next(line for line in lines if line.startswith(title))) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("  ")), len(lines))
    return lines[start:end]


def test_a_fresh_project_passes_and_nothing_is_created(cli, fresh) -> None:
    result = cli("doctor")

    db = fresh / ".mlops" / "mlops.db"
    assert (result.code, result.err) == (0, "")
    assert section(result.out, "store") == [
        f"  project root    {fresh}",
        f"  store           sqlite:///{db}",
        f"  artifacts       {fresh / '.mlops' / 'objects'}",
        f"  schema          none yet (head {HEAD_REVISION})",
    ]
    assert section(result.out, "checks") == [
        f"  ✓ store writable: {db} (created on first use)",
        f"  ✓ artifact store writable: {fresh / '.mlops' / 'objects'} (created on first use)",
        f"  ✓ schema: created at revision {HEAD_REVISION} on first use",
        "  ✓ SQLite WAL mode: switched on when the store is created",
        *[line for line in section(result.out, "checks") if "git available" in line],
        *[line for line in section(result.out, "checks") if "ipykernel" in line],
    ]
    assert not (fresh / ".mlops").exists()


def test_an_existing_store_shows_its_schema_and_runs(cli, make_run, project) -> None:
    make_run("one")
    make_run("two", status="failed")

    result = cli("doctor")

    assert result.code == 0
    store = section(result.out, "store")
    assert store[3:] == [
        f"  schema          {HEAD_REVISION} (head {HEAD_REVISION})",
        "  runs            1 failed, 1 finished",
    ]
    checks = section(result.out, "checks")
    assert f"  ✓ store writable: {project / '.mlops' / 'mlops.db'}" in checks
    assert f"  ✓ schema: revision {HEAD_REVISION} is the newest" in checks
    assert "  ✓ SQLite WAL mode: on" in checks


def test_versions_and_checks_are_listed(cli, fresh) -> None:
    out = cli("doctor").out

    versions = section(out, "versions")
    assert versions[:2] == [
        f"  jupyter_mlops   {__version__}",
        f"  Python          {sys.version.split()[0]} ({sys.executable})",
    ]
    labels = [line.split()[0] for line in versions]
    assert {"SQLAlchemy", "alembic", "pandas", "scikit-learn", "papermill"} <= set(labels)
    checks = section(out, "checks")
    assert any(line.startswith("  ✓ git available: git version ") for line in checks)
    assert any(line.startswith("  ✓ ipykernel installed: ") for line in checks)


def test_each_setting_says_where_it_came_from(cli, fresh, monkeypatch) -> None:
    (fresh / "pyproject.toml").write_text("[tool.jupyter-mlops]\nstale_after = 30\n")
    monkeypatch.setenv("MLOPS_EXPERIMENT", "nightly")

    config = section(cli("doctor").out, "configuration")

    rows = {line.split()[0]: line for line in config}
    value_at = {line.index(line.split()[1], len(key) + 2) for key, line in rows.items()}
    assert len(value_at) == 1  # one column of values, after the longest name and a space
    pad = " " * (value_at.pop() - 2)

    def row(key: str, rest: str) -> str:
        return f"  {key}{pad[len(key) :]}{rest}"

    assert row("stale_after", f"30.0  [{fresh / 'pyproject.toml'} [tool.jupyter-mlops]]") in config
    assert row("experiment", "nightly  [env MLOPS_EXPERIMENT]") in config
    assert row("autolog", "True  [default]") in config
    assert row("deleted_run_retention_days", "30.0  [default]") in config


def test_a_store_without_wal_fails_the_check(cli, fresh) -> None:
    (fresh / ".mlops").mkdir()
    with closing(sqlite3.connect(fresh / ".mlops" / "mlops.db")) as conn:
        conn.execute("CREATE TABLE t (x)")  # a database whose journal_mode stays "delete"

    result = cli("doctor")

    assert result.code == 1
    db_dir = fresh / ".mlops"
    assert (
        "  ✗ SQLite WAL mode: journal_mode is delete: concurrent writers will block; "
        f"is {db_dir} on a network filesystem? Use a local disk or PostgreSQL"
    ) in section(result.out, "checks")
    assert result.out.endswith("\n1 check failed.\n")


def test_a_store_from_a_newer_release_fails_the_schema_check(cli, fresh) -> None:
    (fresh / ".mlops").mkdir()
    conn = sqlite3.connect(fresh / ".mlops" / "mlops.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    conn.execute("INSERT INTO alembic_version VALUES ('9999')")
    conn.commit()
    conn.close()

    result = cli("doctor")

    assert result.code == 1
    assert f"  schema          9999 (head {HEAD_REVISION})" in section(result.out, "store")
    assert (
        f"  ✗ schema: revision 9999 was written by a newer jupyter-mlops than {__version__}; "
        "upgrade jupyter-mlops"
    ) in section(result.out, "checks")


def test_a_remote_artifact_store_is_probed_by_writing(cli, fresh, monkeypatch) -> None:
    monkeypatch.setenv("MLOPS_ARTIFACTS_URI", "memory://doctor-bucket/objects")

    result = cli("doctor")

    assert result.code == 0
    assert "  ✓ artifact store writable: memory://doctor-bucket/objects" in section(
        result.out, "checks"
    )


def test_an_invalid_store_uri_is_bad_usage(cli, fresh, monkeypatch) -> None:
    monkeypatch.setenv("MLOPS_STORE_URI", "not a url")

    result = cli("doctor")

    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "jupyter-mlops: error: Invalid store URI 'not a url' (from env MLOPS_STORE_URI); "
        "use e.g. sqlite:///path/mlops.db or postgresql+psycopg://host/db.\n"
    )


def test_json_is_the_report_record(cli, fresh) -> None:
    result = cli("doctor", "--format", "json")

    report = json.loads(result.out)
    assert result.code == 0 and report["ok"] is True
    assert report["store_uri"] == f"sqlite:///{fresh / '.mlops' / 'mlops.db'}"
    assert report["schema_revision"] == f"none yet (head {HEAD_REVISION})"
    assert report["runs"] is None
    names = [check["name"] for check in report["checks"]]
    assert names[:4] == ["store writable", "artifact store writable", "schema", "SQLite WAL mode"]
    assert {"key": "experiment", "value": "Default", "source": "default"} in report["configuration"]
    assert not (fresh / ".mlops").exists()
