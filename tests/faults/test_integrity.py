"""Faults in the store that gc, verify and doctor must catch or survive (issue 15: 1, 5, 6, 8).

A link planted in the object store, dataset objects deleted or rotten, a damaged or emptied
database, a killed writer's partial file: each is reported in one clear line, nothing outside
the store is touched, and nothing is silently replaced. Service-level tests run on SQLite and
PostgreSQL (the ``store`` fixture); the command-line ones on the project's SQLite store.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

import jupyter_mlops as mlops
from jupyter_mlops.artifacts import hash_bytes
from jupyter_mlops.errors import StoreError
from jupyter_mlops.services.gc import collect_garbage
from jupyter_mlops.services.verify import verify_store
from jupyter_mlops.store import Store, current_store, open_store, reset_current_store
from tests.conftest import Result

Cli = Callable[..., Result]
DAY = 24 * 3600


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A private file outside the store (mode 600)."""
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_bytes(b"not yours\n")
    secret.chmod(0o600)
    return secret


def plant_link(store: Store, digest: str, target: Path) -> Path:
    path = Path(store.objects.path_for(digest))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target, target_is_directory=target.is_dir())
    return path


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def rot(store: Store, digest: str, data: bytes = b"rotten") -> None:
    path = store.objects.local_path(digest)
    assert path is not None
    path.chmod(0o644)  # objects are stored read-only
    path.write_bytes(data)


@pytest.fixture
def project(store_dir: Path) -> Path:
    """A project folder as the working directory; the command line uses its SQLite store."""
    return store_dir


@pytest.fixture
def local(project: Path) -> Store:
    """The project's own store, the one the command line opens."""
    return current_store()


# -- 1. gc and verify never follow links --------------------------------------------------


def test_gc_and_verify_leave_a_planted_link_and_its_target_alone(
    store: Store, outside: Path
) -> None:
    link = plant_link(store, hash_bytes(b"whatever"), outside)
    age(link, 2 * DAY)

    collected = collect_garbage(store, older_than=0, delete=True)
    verified = verify_store(store, remove_corrupt=True)

    expected = [(str(link), "a link")]
    assert [(e.path, e.kind) for e in collected.foreign] == expected
    assert [(e.path, e.kind) for e in verified.foreign] == expected
    assert collected.orphans == [] and not verified.ok
    assert link.is_symlink()
    assert stat.S_IMODE(outside.stat().st_mode) == 0o600  # no chmod through the link
    assert outside.read_bytes() == b"not yours\n"


def test_gc_never_deletes_inside_a_linked_fan_out_folder(store: Store, tmp_path: Path) -> None:
    kept = store.objects.put_bytes(b"a real object").digest
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    victim = hash_bytes(b"victim")
    (elsewhere / victim[2:]).write_bytes(b"victim")
    age(elsewhere / victim[2:], 2 * DAY)
    fan = Path(store.objects.root) / victim[:2]
    fan.symlink_to(elsewhere, target_is_directory=True)

    report = collect_garbage(store, older_than=0, delete=True)

    assert report.orphans == [kept]  # the real orphan goes, the linked folder is not entered
    assert [(e.path, e.kind) for e in report.foreign] == [(str(fan), "a link")]
    assert (elsewhere / victim[2:]).read_bytes() == b"victim"


def test_the_cli_says_a_link_is_foreign_and_exits_1(
    project: Path, local: Store, cli: Cli, outside: Path
) -> None:
    link = plant_link(local, hash_bytes(b"x"), outside)

    verified = cli("verify")
    collected = cli("gc", "--yes", "--older-than", "0")

    assert verified.code == 1
    assert f"✗ foreign: {link} is a link, not an object this store wrote" in verified.out
    assert verified.out.splitlines()[-1] == "✗ 1 foreign: remove what you did not put there."
    assert collected.code == 0
    assert f"left alone: {link} is a link, not an object this store wrote." in collected.out
    assert stat.S_IMODE(outside.stat().st_mode) == 0o600 and link.is_symlink()


# -- 5. verify covers dataset objects -----------------------------------------------------


def _datasets(store: Store, root: Path) -> tuple[str, str, str]:
    """A file dataset and a folder dataset: (file digest, folder manifest, member digest)."""
    (root / "churn.csv").write_text("a,b\n1,2\n")
    (root / "images").mkdir()
    (root / "images" / "one.txt").write_text("one")
    (root / "images" / "two.txt").write_text("two")
    table = mlops.data.add(str(root / "churn.csv"), "churn", store=store)
    folder = mlops.data.add(str(root / "images"), "images", store=store)
    return table.digest, folder.digest, hash_bytes(b"one")


def test_a_deleted_dataset_object_fails_verify_naming_its_version(
    store: Store, tmp_path: Path
) -> None:
    table, _, _ = _datasets(store, tmp_path)
    assert verify_store(store).ok

    store.objects.delete(table)
    report = verify_store(store)

    assert not report.ok
    [problem] = report.missing
    assert problem.digest == table
    assert [str(ref) for ref in problem.refs] == ["dataset version churn v1"]


def test_a_deleted_folder_member_fails_verify_naming_the_file_and_version(
    store: Store, tmp_path: Path
) -> None:
    _, _, member = _datasets(store, tmp_path)

    store.objects.delete(member)
    report = verify_store(store)

    [problem] = report.missing
    assert problem.digest == member
    assert [str(ref) for ref in problem.refs] == ["dataset file images v1: one.txt"]
    assert report.references_checked == 4  # the csv, the manifest and its two files


def test_a_corrupt_dataset_object_names_its_dataset_version(store: Store, tmp_path: Path) -> None:
    table, _, member = _datasets(store, tmp_path)
    rot(store, table)
    rot(store, member, b"eno")

    report = verify_store(store)

    assert {p.digest: [str(r) for r in p.refs] for p in report.corrupt} == {
        table: ["dataset version churn v1"],
        member: ["dataset file images v1: one.txt"],
    }


def test_a_data_frame_dataset_is_checked_too(store: Store) -> None:
    version = mlops.data.add(pd.DataFrame({"x": [1, 2]}), "frame", store=store)
    store.objects.delete(version.digest)

    report = verify_store(store)

    [problem] = report.missing
    assert problem.digest == version.digest
    assert "dataset version frame v1" in [str(r) for r in problem.refs]


def test_the_cli_names_the_dataset_version_of_a_missing_object(
    project: Path, local: Store, cli: Cli
) -> None:
    table, _, _ = _datasets(local, project)
    local.objects.delete(table)

    result = cli("verify")

    assert result.code == 1
    assert result.out.splitlines()[1:3] == [
        f"✗ missing: {table}",
        "    used by dataset version churn v1",
    ]


def test_a_runs_input_fingerprint_needs_no_object_but_gc_keeps_one_that_exists(
    store: Store,
) -> None:
    # A fitted frame or a read file is recorded by digest; its bytes are not stored by the
    # run, so verify must not call it missing, and gc keeps an object holding those bytes.
    held = store.objects.put_bytes(b"the training file").digest
    with mlops.start_run("fit", store=store) as run:
        run.log_input(role="training", kind="frame", source="X", digest=hash_bytes(b"X"))
        run.log_input(role="input", kind="file", source="train.csv", digest=held)

    assert verify_store(store).ok
    assert collect_garbage(store, older_than=0, delete=True).orphans == []
    assert store.objects.exists(held)


# -- 6. a damaged or emptied database ---------------------------------------------------


def _damage(db: Path) -> None:
    """Overwrite pages in the middle of a database, as a lost WAL or a bad copy would."""
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(db, "r+b") as handle:
        handle.seek(4096 * 5)
        handle.write(b"\xff" * 4096 * 3)


def _many_runs(store: Store, n: int = 200) -> None:
    for i in range(n):
        with mlops.start_run(f"r{i}", store=store) as run:
            run.log_metric("m", i)


def test_doctor_and_verify_fail_with_one_line_on_a_malformed_database(
    project: Path, local: Store, cli: Cli
) -> None:
    _many_runs(local)
    reset_current_store()
    db = project / ".mlops" / "mlops.db"
    _damage(db)

    doctor = cli("doctor")
    verify = cli("verify")
    as_json = cli("doctor", "--format", "json")

    assert doctor.code == 1
    [line] = [line for line in doctor.out.splitlines() if "database integrity" in line]
    assert line.startswith(f"  ✗ database integrity: The store's database {db} is damaged")
    assert "quick_check" in line
    assert (verify.code, verify.out) == (1, "")
    assert len(verify.err.strip().splitlines()) == 1
    assert f"The store's database {db} is damaged" in verify.err
    report = json.loads(as_json.out)
    assert as_json.code == 1 and report["ok"] is False
    assert {c["name"]: c["ok"] for c in report["checks"]}["database integrity"] is False


def test_a_sound_store_passes_the_database_checks(project: Path, local: Store, cli: Cli) -> None:
    _many_runs(local, 3)

    doctor = cli("doctor")
    verify = cli("verify", "--format", "json")

    assert "  ✓ database integrity: quick_check ok" in doctor.out.splitlines()
    assert json.loads(verify.out)["database"] == "SQLite quick_check: ok"


def test_an_empty_database_file_is_refused_not_replaced(project: Path, cli: Cli) -> None:
    db = project / ".mlops" / "mlops.db"
    db.write_bytes(b"")

    runs = cli("runs")
    verify = cli("verify")
    doctor = cli("doctor")

    for result in (runs, verify):
        assert result.code == 1
        assert result.err == (
            f"jupyter-mlops: error: The store's database {db} is empty (0 bytes): it holds no "
            "store, and it is not replaced by a new one in case it was emptied by accident. "
            "Restore it from a backup, or delete it to start a new store.\n"
        )
    assert doctor.code == 1 and f"✗ database integrity: The store's database {db} is empty" in (
        doctor.out
    )
    assert db.stat().st_size == 0
    with pytest.raises(StoreError, match="is empty"):
        open_store(f"sqlite:///{db}", str(project / ".mlops" / "objects"))
    assert db.stat().st_size == 0


def test_a_new_store_is_still_created_where_there_is_none(project: Path, cli: Cli) -> None:
    (project / "pyproject.toml").write_text("[project]\nname = 'fresh'\n")  # the root
    (project / ".mlops").rmdir()

    assert cli("runs").code == 0
    assert (project / ".mlops" / "mlops.db").stat().st_size > 0


def test_processes_creating_one_new_store_at_once_all_open_it(tmp_path: Path) -> None:
    # A new database is created with its header under the migration lock: no process ever
    # finds it at 0 bytes and takes it for an emptied store.
    db = tmp_path / "fresh" / "mlops.db"
    code = (
        "import sys; from jupyter_mlops.store import open_store; "
        "open_store(sys.argv[1], sys.argv[2]).close()"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, f"sqlite:///{db}", str(tmp_path / "objects")],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    errors = [proc.communicate(timeout=120)[1] for proc in procs]

    assert [proc.returncode for proc in procs] == [0] * 6, errors
    assert db.stat().st_size > 0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgresql_verify_checks_that_it_answers_and_holds_the_schema(store: Store) -> None:
    assert verify_store(store).database == "postgresql: reachable, every table and column present"
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE schedule_runs"))

    with pytest.raises(StoreError, match="lacks table schedule_runs"):
        verify_store(store)


# -- 8. temporaries a killed writer left ------------------------------------------------


def _temporaries(store: Store) -> tuple[Path, Path]:
    tmp = Path(store.objects.root) / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    old, young = tmp / "0a1b2c-killed", tmp / "3d4e5f-writing"
    old.write_bytes(b"x" * 1000)
    young.write_bytes(b"y" * 10)
    age(old, 2 * DAY)
    return old, young


def test_gc_removes_old_temporaries_and_keeps_young_ones(store: Store) -> None:
    old, young = _temporaries(store)

    dry = collect_garbage(store)
    assert old.exists() and young.exists()
    done = collect_garbage(store, delete=True)

    assert sorted((t.path, t.bytes) for t in dry.temporaries) == [
        (str(old), 1000),
        (str(young), 10),
    ]
    assert {t.path: t.removed for t in done.temporaries} == {str(old): True, str(young): False}
    assert not old.exists() and young.exists()


def test_verify_reports_temporaries_without_failing(project: Path, local: Store, cli: Cli) -> None:
    old, young = _temporaries(local)

    verify = cli("verify")
    gc_dry = cli("gc")
    gc = cli("gc", "--yes")

    assert verify.code == 0
    assert (
        "2 temporary file(s) (1010 B) left by writers in tmp/; `jupyter-mlops gc --yes` "
        "removes those older than 24 h."
    ) in verify.out.splitlines()
    assert (
        "1 temporary file(s) (1000 B) left by killed writers in tmp/ would be deleted; "
        "run with --yes."
    ) in gc_dry.out.splitlines()
    assert "deleted 1 temporary file(s) (1000 B) left by killed writers in tmp/." in (
        gc.out.splitlines()
    )
    assert not old.exists() and young.exists()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgresql_doctor_fails_the_schema_check_when_a_table_is_gone(
    project: Path, store: Store, store_uri: str, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_STORE_URI", store_uri)
    assert cli("doctor").code == 0
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE schedule_runs"))

    result = cli("doctor")

    assert result.code == 1
    [line] = [line for line in result.out.splitlines() if "schema:" in line]
    assert line.startswith("  ✗ schema: revision ")
    assert line.endswith("but the database lacks table schedule_runs")
