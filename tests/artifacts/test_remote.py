"""Settings for artifact stores on S3 (no server needed: see tests/team for the real one)."""

from __future__ import annotations

import io
from pathlib import Path

from jupyter_mlops.artifacts import ObjectStore
from jupyter_mlops.artifacts.remote import S3_BLOCK_SIZE, part_size, read_full, storage_options
from jupyter_mlops.config import load_config

MiB = 1024 * 1024


def test_the_endpoint_comes_from_the_environment_or_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.jupyter-mlops]\ns3_endpoint_url = "http://minio.local:9000"\n'
    )
    from_file = load_config(tmp_path, environ={})
    from_env = load_config(tmp_path, environ={"MLOPS_S3_ENDPOINT_URL": "http://127.0.0.1:9"})

    assert storage_options("s3://b/p", from_file)["endpoint_url"] == "http://minio.local:9000"
    assert storage_options("s3://b/p", from_env)["endpoint_url"] == "http://127.0.0.1:9"
    assert from_env.sources["s3_endpoint_url"] == "env MLOPS_S3_ENDPOINT_URL"


def test_without_an_endpoint_botocore_decides_and_other_stores_get_no_options(
    tmp_path: Path,
) -> None:
    config = load_config(tmp_path, environ={})
    options = storage_options("s3://bucket/prefix", config)

    assert "endpoint_url" not in options  # AWS, or botocore's own AWS_ENDPOINT_URL
    assert options["use_listings_cache"] is False
    assert options["config_kwargs"]["connect_timeout"] <= 10
    assert storage_options(str(tmp_path / "objects"), config) == {}
    assert storage_options("memory://objects", config) == {}


def test_an_s3_store_opens_without_contacting_the_server(tmp_path: Path) -> None:
    config = load_config(tmp_path, environ={"MLOPS_S3_ENDPOINT_URL": "http://127.0.0.1:9"})
    objects = ObjectStore.from_uri("s3://bucket/team/objects", config=config)

    assert objects.uri == "s3://bucket/team/objects"
    assert objects.path_for("ab" * 32) == f"bucket/team/objects/ab/{'ab' * 31}"
    assert objects.local_path("ab" * 32) is None
    assert objects.fs.endpoint_url == "http://127.0.0.1:9"


def test_parts_grow_only_when_an_object_would_need_more_than_10000() -> None:
    assert part_size(S3_BLOCK_SIZE, None) == 8 * MiB
    assert part_size(S3_BLOCK_SIZE, 64 * MiB) == 8 * MiB
    assert part_size(1024, None) == 5 * MiB, "S3 refuses parts under 5 MiB"
    big = 200 * 1024 * MiB
    assert -(-big // part_size(S3_BLOCK_SIZE, big)) <= 10_000


class Trickle(io.RawIOBase):
    """A stream that returns at most 3 bytes a read, like a slow pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        n = min(3, len(self._data) if size < 0 else size)
        out, self._data = self._data[:n], self._data[n:]
        return out


def test_read_full_fills_a_part_from_a_stream_that_returns_less() -> None:
    src = Trickle(b"abcdefghij")
    assert read_full(src, 8) == b"abcdefgh"  # type: ignore[arg-type]
    assert read_full(src, 8) == b"ij"  # type: ignore[arg-type]
    assert read_full(src, 8) == b""  # type: ignore[arg-type]


class CountingRaw(io.BytesIO):
    """An object's bytes that count reads, as requests to object storage would be counted."""

    reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().read(size)


def test_reading_a_whole_object_takes_a_request_per_chunk_not_per_8_kib() -> None:
    from jupyter_mlops.artifacts.cas import CHUNK, VerifyingReader, hash_bytes

    data = b"x" * (2 * CHUNK + 1)
    raw = CountingRaw(data)

    with io.BufferedReader(VerifyingReader(raw, hash_bytes(data)), buffer_size=CHUNK) as fh:
        assert fh.read() == data

    assert raw.reads <= 4  # three chunks and the end, not 1,025 reads of 8 KiB
