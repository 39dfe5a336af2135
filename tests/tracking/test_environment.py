"""What a run records about where it ran: git state, packages, Python and the host."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sklearn

import jupyter_mlops as mlops
from jupyter_mlops.store import Store
from jupyter_mlops.tracking.environment import (
    GitState,
    canonical_name,
    capture_environment,
    git_state,
    imported_packages,
)


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


@pytest.fixture
def repo(clean_workdir: Path) -> Path:
    """A git repository with one commit on branch ``trunk``, as the working folder."""
    git(clean_workdir, "init", "-q", "-b", "trunk")
    (clean_workdir / "train.py").write_text("C = 1.0\n")
    git(clean_workdir, "add", "train.py")
    git(clean_workdir, "commit", "-q", "-m", "first")
    return clean_workdir


def test_clean_repository_records_commit_and_branch(store: Store, repo: Path) -> None:
    with mlops.start_run(store=store) as run:
        pass
    record = mlops.get_run(run.id, store=store)
    assert record.git_commit == git(repo, "rev-parse", "HEAD")
    assert record.git_branch == "trunk"
    assert record.git_dirty is False
    assert [a.path for a in record.artifacts] == []


def test_dirty_repository_stores_the_diff_as_an_artifact(store: Store, repo: Path) -> None:
    (repo / "train.py").write_text("C = 0.5\n")
    (repo / "untracked.txt").write_text("not part of the diff")
    with mlops.start_run(store=store) as run:
        pass
    record = mlops.get_run(run.id, store=store)
    assert record.git_dirty is True
    (diff,) = [a for a in record.artifacts if a.path == "git.diff"]
    assert (diff.kind, diff.media_type) == ("git", "text/x-diff")
    text = store.objects.read_bytes(diff.digest).decode()
    assert "-C = 1.0" in text and "+C = 0.5" in text
    assert "untracked" not in text


def test_detached_head_and_subfolder(repo: Path) -> None:
    sub = repo / "notebooks"
    sub.mkdir()
    commit = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "--detach")
    state = git_state(sub)
    assert (state.commit, state.branch, state.dirty) == (commit, "HEAD", False)
    assert state.root is not None and Path(state.root).resolve() == repo.resolve()


def test_repository_without_commits(repo: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q", "-b", "trunk")
    state = git_state(empty)
    assert (state.commit, state.branch, state.diff) == (None, None, b"")
    assert state.root is not None and Path(state.root).resolve() == empty.resolve()


def test_no_repository_leaves_git_fields_empty(store: Store, clean_workdir: Path) -> None:
    assert git_state(clean_workdir) == GitState()
    with mlops.start_run(store=store) as run:
        pass
    record = mlops.get_run(run.id, store=store)
    assert (record.git_commit, record.git_branch, record.git_dirty) == (None, None, None)
    assert record.status == "finished"


def test_no_git_program_leaves_git_fields_empty(
    store: Store, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    with mlops.start_run(store=store) as run:
        pass
    record = mlops.get_run(run.id, store=store)
    assert (record.git_commit, record.git_branch, record.git_dirty) == (None, None, None)
    assert record.status == "finished"


def test_imported_package_versions_are_recorded(store: Store) -> None:
    with mlops.start_run(store=store) as run:
        pass
    packages = mlops.get_run(run.id, store=store).environment["packages"]
    assert packages["pandas"] == pd.__version__
    assert packages["scikit-learn"] == sklearn.__version__  # module sklearn, dist scikit-learn
    assert packages["jupyter-mlops"] == mlops.__version__  # an editable install counts too
    assert list(packages) == sorted(packages)
    assert "os" not in packages and "sys" not in packages


def test_package_installed_after_the_first_capture_is_found_once_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    assert "fresh-pkg" not in imported_packages()
    (site / "fresh_pkg").mkdir()
    (site / "fresh_pkg" / "__init__.py").write_text("")
    info = site / "fresh_pkg-1.2.3.dist-info"
    info.mkdir()
    (info / "RECORD").write_text("fresh_pkg/__init__.py,,\nfresh_pkg-1.2.3.dist-info/RECORD,,\n")
    os.utime(site, ns=(0, os.stat(site).st_mtime_ns + 10**9))  # as an install would
    assert "fresh-pkg" not in imported_packages()  # installed, not imported
    __import__("fresh_pkg")
    try:
        assert imported_packages()["fresh-pkg"] == "1.2.3"
    finally:
        del sys.modules["fresh_pkg"]


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("PyYAML", "pyyaml"), ("scikit_learn", "scikit-learn"), ("zope.interface", "zope-interface")],
)
def test_canonical_distribution_names(name: str, canonical: str) -> None:
    assert canonical_name(name) == canonical


def test_environment_snapshot_fields(clean_workdir: Path) -> None:
    env = capture_environment(clean_workdir)
    assert env.info["python"] == sys.version.split()[0]
    assert env.info["cwd"] == os.getcwd()
    assert set(env.info) >= {"platform", "machine", "host", "executable", "packages"}
