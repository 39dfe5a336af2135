"""Links and leftovers in a local object store: reported, never followed, never touched.

A link planted in ``.mlops/objects`` (at an object's name, or as a whole fan-out folder) must
not let reading, verifying or deleting reach a file outside the store.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from jupyter_mlops.artifacts import ObjectStore, hash_bytes
from jupyter_mlops.artifacts.cas import Entry
from jupyter_mlops.errors import ForeignEntryError, MlopsUsageError, NotFoundError


@pytest.fixture
def objects(tmp_path: Path) -> ObjectStore:
    return ObjectStore.from_uri(str(tmp_path / "objects"))


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A private file outside the store (mode 600)."""
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_bytes(b"not yours\n")
    secret.chmod(0o600)
    return secret


def plant_link(objects: ObjectStore, digest: str, target: Path) -> Path:
    path = Path(objects.path_for(digest))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def test_a_link_at_an_objects_name_is_foreign_and_its_target_untouched(
    objects: ObjectStore, outside: Path
) -> None:
    digest = hash_bytes(outside.read_bytes())
    link = plant_link(objects, digest, outside)

    assert not objects.exists(digest)
    assert list(objects.iter_digests()) == []
    with pytest.raises(ForeignEntryError, match="a link"):
        objects.open(digest)
    with pytest.raises(ForeignEntryError, match="a link"):
        objects.verify(digest)
    with pytest.raises(ForeignEntryError, match="left alone"):
        objects.delete(digest)
    assert [(e.path, e.kind) for e in objects.foreign()] == [(str(link), "a link")]
    # The target: same mode, same bytes; the link itself is still there for a person to see.
    assert stat.S_IMODE(outside.stat().st_mode) == 0o600
    assert outside.read_bytes() == b"not yours\n"
    assert link.is_symlink()


def test_storing_the_same_content_replaces_a_planted_link_with_the_object(
    objects: ObjectStore, outside: Path
) -> None:
    data = outside.read_bytes()
    link = plant_link(objects, hash_bytes(data), outside)

    info = objects.put_bytes(data)

    assert not link.is_symlink() and link.read_bytes() == data
    assert objects.read_bytes(info.digest) == data
    assert stat.S_IMODE(outside.stat().st_mode) == 0o600


def test_a_linked_fan_out_folder_is_never_entered(objects: ObjectStore, tmp_path: Path) -> None:
    kept = objects.put_bytes(b"a real object")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    victim_digest = hash_bytes(b"victim")
    (elsewhere / victim_digest[2:]).write_bytes(b"victim")
    fan = Path(objects.root) / victim_digest[:2]
    assert not fan.exists()
    fan.symlink_to(elsewhere, target_is_directory=True)

    assert list(objects.iter_digests()) == [kept.digest]
    assert [(e.path, e.kind) for e in objects.foreign()] == [(str(fan), "a link")]
    with pytest.raises(ForeignEntryError, match="inside a linked folder"):
        objects.open(victim_digest)
    with pytest.raises(ForeignEntryError):
        objects.delete(victim_digest)
    assert (elsewhere / victim_digest[2:]).read_bytes() == b"victim"
    # Nor is anything written through it.
    with pytest.raises(ForeignEntryError, match="is a link"):
        objects.put_bytes(b"victim")
    assert sorted(p.name for p in elsewhere.iterdir()) == [victim_digest[2:]]
    assert list((Path(objects.root) / "tmp").iterdir()) == []


def test_a_missing_object_is_not_found_and_deleting_it_is_quiet(objects: ObjectStore) -> None:
    digest = hash_bytes(b"never stored")
    with pytest.raises(NotFoundError):
        objects.open(digest)
    with pytest.raises(NotFoundError):
        objects.verify(digest)
    objects.delete(digest)


def test_a_writers_leftover_temporary_is_listed_with_its_age_and_removable(
    objects: ObjectStore,
) -> None:
    objects.put_bytes(b"x")
    leftover = Path(objects.root) / "tmp" / "0123abcd"
    leftover.write_bytes(b"half an upload")
    old = leftover.stat().st_mtime - 3600
    os.utime(leftover, (old, old))

    [entry] = list(objects.foreign())

    assert isinstance(entry, Entry)
    assert (entry.path, entry.kind) == (str(leftover), "temporary")
    assert entry.age >= 3600
    objects.remove_temporary(entry.path)
    assert not leftover.exists()
    with pytest.raises(MlopsUsageError, match="not a temporary file"):
        objects.remove_temporary(objects.path_for(hash_bytes(b"x")))
