"""The content-addressed object store, on local disk and on fsspec's memory filesystem."""

from __future__ import annotations

import io
import os
import stat
import threading
import tracemalloc
from pathlib import Path

import blake3
import pytest

from jupyter_mlops.artifacts import ObjectInfo, ObjectStore, hash_bytes, hash_file
from jupyter_mlops.artifacts.cas import CHUNK
from jupyter_mlops.errors import ArtifactIntegrityError, MlopsUsageError, NotFoundError

# BLAKE3 test vectors (https://github.com/BLAKE3-team/BLAKE3/blob/master/test_vectors).
EMPTY = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
ABC = "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
MB = 1024 * 1024


def stored_files(objects: ObjectStore) -> list[str]:
    """Every file under the store root, relative to it."""
    if not objects.fs.exists(objects.root):
        return []
    prefix = objects.root.rstrip("/") + "/"
    return sorted(str(p).removeprefix(prefix) for p in objects.fs.find(objects.root))


def object_files(objects: ObjectStore) -> list[str]:
    return [p for p in stored_files(objects) if not p.startswith("tmp/")]


def temp_files(objects: ObjectStore) -> list[str]:
    return [p for p in stored_files(objects) if p.startswith("tmp/")]


class FailingStream(io.RawIOBase):
    """Yields ``good`` chunks of data, then fails like a dropped connection."""

    def __init__(self, good: int) -> None:
        self.left = good

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.left == 0:
            raise OSError("connection reset while reading")
        self.left -= 1
        return b"x" * (size if size > 0 else 1024)


class GeneratedStream(io.RawIOBase):
    """``total`` pseudo-random bytes made on demand, remembering the largest read asked for.

    The bytes are BLAKE3's extendable output at each offset, so they do not depend on how
    the reader chunks them and nothing but the chunk asked for is ever in memory.
    """

    def __init__(self, total: int) -> None:
        self.total = total
        self.pos = 0
        self.largest_read = 0
        self.reads = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "the store must read in bounded chunks, never to the end at once"
        self.reads += 1
        self.largest_read = max(self.largest_read, size)
        n = min(size, self.total - self.pos)
        if n <= 0:
            return b""
        data = bytes(_XOF.digest(length=n, seek=self.pos))
        self.pos += n
        return data


_XOF = blake3.blake3(b"generated stream")


def expected_digest(total: int) -> str:
    h = blake3.blake3()
    for pos in range(0, total, MB):
        h.update(_XOF.digest(length=min(MB, total - pos), seek=pos))
    return str(h.hexdigest())


# -- digests and layout ---------------------------------------------------------------


def test_put_bytes_returns_the_blake3_digest_and_size(objects: ObjectStore) -> None:
    assert objects.put_bytes(b"abc") == ObjectInfo(ABC, 3)
    assert hash_bytes(b"abc") == ABC


def test_objects_fan_out_by_the_first_two_hex_digits(objects: ObjectStore) -> None:
    objects.put_bytes(b"abc")

    assert object_files(objects) == [f"{ABC[:2]}/{ABC[2:]}"]
    assert objects.path_for(ABC) == f"{objects.root}/64/{ABC[2:]}"
    assert objects.exists(ABC)
    assert objects.size(ABC) == 3


def test_the_same_bytes_are_stored_once_whichever_way_they_come(
    objects: ObjectStore, tmp_path: Path
) -> None:
    source = tmp_path / "data.bin"
    source.write_bytes(b"abc")

    infos = {
        objects.put_bytes(b"abc"),
        objects.put_bytes(b"abc"),
        objects.put_file(source),
        objects.put_stream(io.BytesIO(b"abc")),
    }

    assert infos == {ObjectInfo(ABC, 3)}
    assert object_files(objects) == [f"64/{ABC[2:]}"]
    assert temp_files(objects) == []


def test_local_objects_are_read_only(tmp_path: Path) -> None:
    objects = ObjectStore.from_uri(str(tmp_path / "objects"))
    info = objects.put_bytes(b"abc")

    path = objects.local_path(info.digest)
    assert path == tmp_path / "objects" / "64" / ABC[2:]
    assert stat.S_IMODE(path.stat().st_mode) & 0o222 == 0


# -- atomic writes --------------------------------------------------------------------


def test_no_temporary_files_are_left_after_writes(objects: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "data.bin"
    source.write_bytes(b"from a file")

    objects.put_bytes(b"from bytes")
    objects.put_file(source)
    objects.put_stream(io.BytesIO(b"from a stream"))
    objects.put_stream(io.BytesIO(b"from a stream"))  # a duplicate drops its temporary copy

    assert len(object_files(objects)) == 3
    assert temp_files(objects) == []


def test_a_stream_failing_midway_leaves_no_object_and_no_temporary_file(
    objects: ObjectStore,
) -> None:
    with pytest.raises(OSError, match="connection reset while reading"):
        objects.put_stream(FailingStream(good=2))

    assert object_files(objects) == []
    assert temp_files(objects) == []
    assert list(objects.iter_digests()) == []


def test_put_file_refuses_a_file_that_does_not_match_its_known_digest(
    objects: ObjectStore, tmp_path: Path
) -> None:
    source = tmp_path / "data.bin"
    source.write_bytes(b"abc")

    with pytest.raises(ArtifactIntegrityError, match="changed while it was being stored") as info:
        objects.put_file(source, digest=EMPTY)

    assert info.value.digest == EMPTY
    assert not objects.exists(EMPTY)


def test_concurrent_writers_of_the_same_bytes_agree(objects: ObjectStore) -> None:
    data = os.urandom(256 * 1024)
    results: list[ObjectInfo] = []
    errors: list[BaseException] = []

    def put() -> None:
        try:
            results.append(objects.put_stream(io.BytesIO(data)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert {info.digest for info in results} == {hash_bytes(data)}
    assert len(object_files(objects)) == 1
    assert objects.read_bytes(hash_bytes(data)) == data


# -- reads and verification -----------------------------------------------------------


def test_objects_read_back_as_stored(objects: ObjectStore) -> None:
    data = os.urandom(3 * CHUNK // 2)
    digest = objects.put_bytes(data).digest

    assert objects.read_bytes(digest) == data
    with objects.open(digest) as fh:
        assert b"".join(iter(lambda: fh.read(MB), b"")) == data
    objects.verify(digest)


@pytest.mark.parametrize(
    "check",
    [
        pytest.param(lambda o, d: o.read_bytes(d), id="read_bytes"),
        pytest.param(lambda o, d: o.open(d).read(), id="open-read"),
        pytest.param(lambda o, d: o.verify(d), id="verify"),
    ],
)
def test_a_corrupt_object_raises_an_integrity_error_naming_its_digest(
    objects: ObjectStore, corrupt, check
) -> None:
    digest = objects.put_bytes(b"abc").digest
    corrupt(objects, digest)

    with pytest.raises(ArtifactIntegrityError) as info:
        check(objects, digest)

    assert info.value.digest == digest
    assert f"Object {digest} is corrupt" in str(info.value)


def test_a_corrupt_object_of_the_same_size_is_caught(objects: ObjectStore, corrupt) -> None:
    digest = objects.put_bytes(b"abc").digest
    corrupt(objects, digest, b"abd")

    with pytest.raises(ArtifactIntegrityError):
        objects.read_bytes(digest)


@pytest.mark.parametrize(
    "check",
    [
        pytest.param(lambda o, d: o.read_bytes(d), id="read_bytes"),
        pytest.param(lambda o, d: o.open(d), id="open"),
        pytest.param(lambda o, d: o.verify(d), id="verify"),
    ],
)
def test_a_missing_object_raises_not_found(objects: ObjectStore, check) -> None:
    with pytest.raises(NotFoundError, match=f"Object {ABC} is missing") as info:
        check(objects, ABC)

    assert info.value.digest == ABC


# -- iteration and deletion -----------------------------------------------------------


def test_iter_digests_of_an_empty_store_is_empty(objects: ObjectStore) -> None:
    assert list(objects.iter_digests()) == []


def test_iter_digests_yields_every_object_and_nothing_else(objects: ObjectStore) -> None:
    digests = {objects.put_bytes(data).digest for data in (b"a", b"b", b"c")}
    # Things that are not objects: a stray file at the root, a temporary file, a bad name.
    for name in ("README", "tmp/0123456789abcdef", "ab/not-a-digest"):
        objects.fs.makedirs(os.path.dirname(f"{objects.root}/{name}"), exist_ok=True)
        objects.fs.pipe(f"{objects.root}/{name}", b"not an object")

    assert set(objects.iter_digests()) == digests


def test_delete_removes_the_object_and_is_idempotent(objects: ObjectStore) -> None:
    keep = objects.put_bytes(b"keep").digest
    gone = objects.put_bytes(b"gone").digest

    objects.delete(gone)
    objects.delete(gone)

    assert not objects.exists(gone)
    assert list(objects.iter_digests()) == [keep]
    with pytest.raises(NotFoundError):
        objects.read_bytes(gone)


# -- digest validation ----------------------------------------------------------------

BAD_DIGESTS = [
    "",
    "abc",
    ABC[:-1],
    ABC + "0",
    ABC.upper(),
    "g" * 64,
    "../" + ABC[3:],
    ABC[:32] + "/" + ABC[33:],
]


@pytest.mark.parametrize("digest", BAD_DIGESTS)
@pytest.mark.parametrize(
    "operation", ["path_for", "exists", "open", "read_bytes", "verify", "delete"]
)
def test_invalid_digests_are_rejected(objects: ObjectStore, operation: str, digest: str) -> None:
    with pytest.raises(MlopsUsageError) as info:
        getattr(objects, operation)(digest)

    assert str(info.value) == f"{digest!r} is not a digest: expected 64 lowercase hex characters."


def test_a_digest_must_be_a_string(objects: ObjectStore) -> None:
    with pytest.raises(MlopsUsageError, match="None is not a digest"):
        objects.path_for(None)  # type: ignore[arg-type]


# -- sizes ----------------------------------------------------------------------------


def test_empty_content_is_an_object_like_any_other(objects: ObjectStore, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.touch()

    assert objects.put_file(empty) == ObjectInfo(EMPTY, 0)
    assert objects.put_bytes(b"") == ObjectInfo(EMPTY, 0)
    assert objects.put_stream(io.BytesIO()) == ObjectInfo(EMPTY, 0)
    assert hash_file(empty) == EMPTY
    assert objects.read_bytes(EMPTY) == b""
    objects.verify(EMPTY)
    assert list(objects.iter_digests()) == [EMPTY]


LARGE = 50 * MB


def test_a_large_stream_is_copied_in_bounded_chunks(objects: ObjectStore) -> None:
    stream = GeneratedStream(LARGE)

    info = objects.put_stream(stream)

    assert info == ObjectInfo(expected_digest(LARGE), LARGE)
    assert stream.largest_read <= CHUNK
    assert stream.reads >= LARGE // CHUNK
    objects.verify(info.digest)


def test_large_objects_are_stored_and_read_with_bounded_memory(tmp_path: Path) -> None:
    # Local disk only: the memory filesystem keeps every object in RAM by design.
    objects = ObjectStore.from_uri(str(tmp_path / "objects"))
    limit = 16 * MB  # a few chunks, far below the 50 MB object

    tracemalloc.start()
    try:
        info = objects.put_stream(GeneratedStream(LARGE))
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with objects.open(info.digest) as fh:
            while fh.read(MB):
                pass
        objects.verify(info.digest)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert info.size == LARGE
    assert put_peak < limit, f"put_stream peaked at {put_peak / MB:.1f} MB"
    assert read_peak < limit, f"reading back peaked at {read_peak / MB:.1f} MB"
