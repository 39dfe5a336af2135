"""A folder checkout is all or nothing (issue 15 item 9), on SQLite and PostgreSQL.

A member whose object is missing or corrupt fails the checkout, and the target is as it was:
absent, empty, or (with ``force``) holding exactly its old files; no temporary is left.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.errors import ArtifactIntegrityError, ForeignEntryError, NotFoundError
from jupyter_mlops.store import Store, open_store

MEMBERS = {"a.csv": "x\n1\n", "sub/b.csv": "y\n2\n", "z.csv": "z\n3\n"}


def _add_folder(store: Store, tmp_path: Path) -> dict[str, str]:
    """Version a three-file folder as ``docs``; the digest of each member."""
    folder = tmp_path / "docs"
    for rel, text in MEMBERS.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    version = mlops.data.add(str(folder), "docs", store=store)
    manifest = json.loads(store.objects.read_bytes(version.digest))
    return {f["path"]: f["digest"] for f in manifest["files"]}


def _break(store: Store, digest: str, how: str) -> None:
    path = store.objects.local_path(digest)
    assert path is not None
    path.chmod(0o644)
    if how == "missing":
        path.unlink()
    else:
        path.write_text("bit rot\n")


def _everything_under(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("how", ["missing", "corrupt"])
@pytest.mark.parametrize("target", ["absent", "empty", "forced"])
def test_a_folder_with_a_bad_member_leaves_the_target_as_it_was(
    store: Store, tmp_path: Path, how: str, target: str
) -> None:
    digests = _add_folder(store, tmp_path)
    # The last member to be written: every other one would be written before it fails.
    _break(store, digests["z.csv"], how)
    dest = tmp_path / "out" / "restored"
    if target != "absent":
        dest.mkdir(parents=True)
    if target == "forced":
        (dest / "mine.txt").write_text("keep me\n")
        (dest / "a.csv").write_text("my own a\n")
    before = _everything_under(dest) if dest.exists() else None

    expected = NotFoundError if how == "missing" else ArtifactIntegrityError
    with pytest.raises(expected) as caught:
        mlops.data.checkout("docs", dest, force=target == "forced", store=store)
    assert caught.value.digest == digests["z.csv"]

    if target == "absent":
        assert not dest.exists()
    else:
        assert _everything_under(dest) == before
    # No half-built folder beside the target either.
    assert sorted(p.name for p in dest.parent.iterdir()) == (
        [] if target == "absent" else ["restored"]
    )


@pytest.mark.parametrize("target", ["absent", "empty", "forced"])
def test_a_sound_folder_is_checked_out_whole(store: Store, tmp_path: Path, target: str) -> None:
    _add_folder(store, tmp_path)
    dest = tmp_path / "out" / "restored"
    if target != "absent":
        dest.mkdir(parents=True)
    if target == "forced":
        (dest / "mine.txt").write_text("keep me\n")
        (dest / "a.csv").write_text("my own a\n")
    written = mlops.data.checkout("docs", dest, force=target == "forced", store=store)
    assert written == dest
    expected = dict(MEMBERS)
    if target == "forced":
        expected["mine.txt"] = "keep me\n"
    assert _everything_under(dest) == expected
    assert sorted(p.name for p in dest.parent.iterdir()) == ["restored"]
    (dest / "a.csv").write_text("edited\n")  # a checkout is an ordinary, writable copy


def test_a_link_planted_at_a_members_object_is_refused_not_read(
    store: Store, tmp_path: Path
) -> None:
    digests = _add_folder(store, tmp_path)
    # The same bytes outside the store, linked at the object's name: still never read.
    outside = tmp_path / "outside.csv"
    outside.write_text(MEMBERS["z.csv"])
    path = store.objects.local_path(digests["z.csv"])
    assert path is not None
    path.chmod(0o644)
    path.unlink()
    path.symlink_to(outside)
    dest = tmp_path / "out" / "restored"
    with pytest.raises(ForeignEntryError, match="a link"):
        mlops.data.checkout("docs", dest, store=store)
    assert not dest.exists()
    with pytest.raises(ForeignEntryError, match="a link"):
        mlops.data.get("docs", store=store).path()
    assert path.is_symlink()
    assert outside.read_text() == MEMBERS["z.csv"]


def test_a_corrupt_member_on_object_storage_leaves_nothing_either(
    store_uri: str, tmp_path: Path
) -> None:
    # Objects that are not on the local disk (fsspec memory://, as S3) are streamed and
    # verified as they arrive: the same all-or-nothing checkout.
    remote = open_store(store_uri, f"memory://faults-{uuid.uuid4().hex}")
    try:
        digests = _add_folder(remote, tmp_path)
        remote.objects.fs.pipe(remote.objects.path_for(digests["z.csv"]), b"bit rot\n")
        dest = tmp_path / "out" / "restored"
        with pytest.raises(ArtifactIntegrityError):
            mlops.data.checkout("docs", dest, store=remote)
        assert not dest.exists()
        assert list(dest.parent.iterdir()) == []
    finally:
        remote.close()
