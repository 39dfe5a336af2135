"""Run artifacts on a real S3-compatible server (moto): stored once, verified, streamed."""

from __future__ import annotations

import io
import time
import tracemalloc
from pathlib import Path

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.artifacts import ObjectStore, hash_file
from jupyter_mlops.cli import main
from jupyter_mlops.errors import ArtifactIntegrityError, StoreError
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import runs as q
from tests.team._s3 import MotoServer, use_s3

MiB = 1024 * 1024


def keys_under(server: MotoServer, uri: str) -> list[str]:
    """Every object key under the store's prefix, as the server lists them."""
    return sorted(server.filesystem().find(uri.removeprefix("s3://")))


def object_keys(server: MotoServer, uri: str) -> list[str]:
    return [k for k in keys_under(server, uri) if "/tmp/" not in k]


def write_random(path: Path, size: int) -> Path:
    import os

    with path.open("wb") as fh:
        for _ in range(size // MiB):
            fh.write(os.urandom(MiB))
    return path


def test_a_run_stores_files_folders_and_bytes_on_s3(
    s3: MotoServer, s3_store: Store, s3_uri: str, store_dir: Path
) -> None:
    (store_dir / "report.txt").write_text("accuracy 0.9\n")
    (store_dir / "plots").mkdir()
    (store_dir / "plots" / "a.svg").write_text("<svg/>")
    (store_dir / "plots" / "b.svg").write_text("<svg></svg>")

    with mlops.start_run("s3") as run:
        run.log_artifact(store_dir / "report.txt")
        run.log_artifact(store_dir / "plots")
        run.log_artifact(b"\x00raw", "raw.bin")

    record = q.load_run(s3_store, run.id)
    assert record.status == "finished"
    stored = {a.path: a.digest for a in record.artifacts}
    assert sorted(stored) == ["plots/a.svg", "plots/b.svg", "raw.bin", "report.txt"]
    prefix = s3_uri.removeprefix("s3://")
    assert object_keys(s3, s3_uri) == sorted(f"{prefix}/{d[:2]}/{d[2:]}" for d in stored.values())
    assert s3_store.objects.read_bytes(stored["report.txt"]) == b"accuracy 0.9\n"
    assert s3_store.objects.read_bytes(stored["raw.bin"]) == b"\x00raw"


def test_the_same_content_is_uploaded_once(
    s3: MotoServer, s3_store: Store, s3_uri: str, store_dir: Path
) -> None:
    (store_dir / "a.csv").write_text("x\n1\n")
    with mlops.start_run("first") as first:
        first.log_artifact(store_dir / "a.csv")
    key = object_keys(s3, s3_uri)[0]
    uploaded = s3.filesystem().info(key)["LastModified"]
    time.sleep(1.1)  # S3 times are to the second: a second upload would show

    with mlops.start_run("second") as second:
        second.log_artifact(store_dir / "a.csv", "copy.csv")
        second.log_artifact(b"x\n1\n", "bytes.csv")

    assert object_keys(s3, s3_uri) == [key]
    assert s3.filesystem().info(key)["LastModified"] == uploaded
    digests = {a.digest for r in (first, second) for a in q.load_run(s3_store, r.id).artifacts}
    assert len(digests) == 1


def test_an_object_changed_behind_our_back_is_refused_on_read_and_by_verify(
    s3: MotoServer,
    s3_store: Store,
    s3_uri: str,
    store_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with mlops.start_run("r") as run:
        (info,) = run.log_artifact(b"the real content", "a.txt")
    s3.filesystem().pipe(s3_store.objects.path_for(info.digest), b"the fake content")

    with pytest.raises(ArtifactIntegrityError, match=info.digest):
        s3_store.objects.read_bytes(info.digest)

    capsys.readouterr()
    code = main(["verify"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"✗ corrupt: {info.digest}" in out
    assert f"used by artifact 'a.txt' of run r ({run.id[:8]})" in out
    assert s3_uri in out

    assert main(["verify", "--remove-corrupt"]) == 1
    assert not s3.filesystem().exists(s3_store.objects.path_for(info.digest))


def test_verify_on_s3_passes_for_a_sound_store(
    s3_store: Store, s3_uri: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with mlops.start_run("r") as run:
        run.log_artifact(b"one", "1.txt")
        run.log_artifact(b"two", "2.txt")

    capsys.readouterr()
    code = main(["verify"])
    out = capsys.readouterr().out

    assert code == 0, out
    assert "Checked 2 objects" in out and s3_uri in out


def test_a_large_file_is_streamed_as_a_multipart_upload_in_bounded_memory(
    s3: MotoServer, s3_store: Store, s3_uri: str, tmp_path: Path
) -> None:
    size = 64 * MiB
    source = write_random(tmp_path / "big.bin", size)
    digest = hash_file(source)
    assert not s3_store.objects.exists(digest)  # the S3 client is made (a fixed cost) before

    tracemalloc.start()
    try:
        info = s3_store.objects.put_file(source)
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with s3_store.objects.open(digest) as fh, (tmp_path / "back.bin").open("wb") as out:
            while chunk := fh.read(MiB):
                out.write(chunk)
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (info.digest, info.size) == (digest, size)
    assert hash_file(tmp_path / "back.bin") == digest
    # About two 8 MiB parts (ours and the HTTP client's copy), whatever the file's size.
    assert upload_peak < 20 * MiB, f"upload peaked at {upload_peak / MiB:.1f} MiB"
    assert download_peak < 16 * MiB, f"download peaked at {download_peak / MiB:.1f} MiB"
    # An S3 ETag ending in -N is the mark of an N-part multipart upload.
    etag = s3.filesystem().info(s3_store.objects.path_for(digest))["ETag"].strip('"')
    assert etag.endswith(f"-{size // s3_store.objects.block_size}")


def test_an_upload_that_fails_midway_leaves_no_object_and_no_pending_upload(
    s3: MotoServer, s3_store: Store, s3_uri: str, tmp_path: Path
) -> None:
    source = write_random(tmp_path / "big.bin", 20 * MiB)
    claimed = hash_file(source)
    write_random(source, 20 * MiB)  # changed after it was hashed: parts go up, then the check

    with pytest.raises(ArtifactIntegrityError, match="changed while it was being stored"):
        s3_store.objects.put_file(source, digest=claimed)

    assert keys_under(s3, s3_uri) == []
    bucket = s3_uri.removeprefix("s3://").split("/")[0]
    pending = s3.filesystem().call_s3("list_multipart_uploads", Bucket=bucket).get("Uploads", [])
    assert [u for u in pending if u["Key"].startswith(s3_uri.split("/", 3)[3])] == []


def test_an_unreachable_object_server_fails_the_log_and_the_run(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = MotoServer().start()
    try:
        server.make_bucket()
        use_s3(monkeypatch, server)
        store = current_store()
        with pytest.raises(StoreError) as info, mlops.start_run("doomed") as run:
            run.log_artifact(b"first", "first.txt")
            server.stop()
            started = time.monotonic()
            run.log_artifact(b"second", "second.txt")
        elapsed = time.monotonic() - started
    finally:
        server.stop()

    message = str(info.value)
    assert message.startswith(f"The artifact store {store.objects.uri} failed while ")
    assert "Could not connect to the endpoint URL" in message
    assert elapsed < 20, f"gave up after {elapsed:.1f} s"
    record = q.load_run(store, run.id)
    assert record.status == "failed"
    assert [a.path for a in record.artifacts] == ["first.txt"]


def test_the_endpoint_comes_from_the_project_settings(
    s3: MotoServer, store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_s3(monkeypatch, s3)
    monkeypatch.delenv("MLOPS_S3_ENDPOINT_URL")
    monkeypatch.delenv("MLOPS_ARTIFACTS_URI")
    (store_dir / "pyproject.toml").write_text(
        "[tool.jupyter-mlops]\n"
        'artifacts_uri = "s3://mlops-test/from-pyproject"\n'
        f's3_endpoint_url = "{s3.endpoint}"\n'
    )

    objects = ObjectStore.from_uri("s3://mlops-test/from-pyproject")
    info = objects.put_stream(io.BytesIO(b"configured"))

    assert s3.filesystem().cat(objects.path_for(info.digest)) == b"configured"


def test_empty_and_exactly_one_part_objects_round_trip(s3_store: Store) -> None:
    one_part = bytes(range(256)) * (s3_store.objects.block_size // 256)

    empty = s3_store.objects.put_bytes(b"")
    full = s3_store.objects.put_bytes(one_part)

    assert (empty.size, full.size) == (0, s3_store.objects.block_size)
    assert s3_store.objects.read_bytes(empty.digest) == b""
    assert s3_store.objects.read_bytes(full.digest) == one_part
    s3_store.objects.verify(full.digest)


def test_botocore_s_own_endpoint_variable_is_honoured(
    s3: MotoServer, store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_s3(monkeypatch, s3)
    monkeypatch.delenv("MLOPS_S3_ENDPOINT_URL")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)

    objects = ObjectStore.from_uri("s3://mlops-test/from-aws-env", skip_instance_cache=True)
    info = objects.put_bytes(b"via AWS_ENDPOINT_URL")

    assert s3.filesystem().cat(objects.path_for(info.digest)) == b"via AWS_ENDPOINT_URL"


def test_a_missing_bucket_is_a_one_line_error_that_says_so(
    s3: MotoServer, store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_s3(monkeypatch, s3)
    monkeypatch.setenv("MLOPS_ARTIFACTS_URI", "s3://no-such-bucket/objects")
    objects = ObjectStore.from_uri("s3://no-such-bucket/objects")

    with pytest.raises(StoreError) as info:
        objects.put_bytes(b"anything")

    message = str(info.value)
    assert message.startswith("The artifact store s3://no-such-bucket/objects failed while ")
    assert "does the bucket exist?" in message and "\n" not in message


def test_gc_on_s3_deletes_only_old_unreferenced_objects(
    s3: MotoServer, s3_uri: str, s3_store: Store
) -> None:
    from jupyter_mlops.services.gc import collect_garbage

    with mlops.start_run("kept", store=s3_store) as run:
        run.log_artifact(b"referenced by a run", "kept.txt")
    (kept,) = [a.digest for a in q.load_run(s3_store, run.id).artifacts]
    orphan = s3_store.objects.put_bytes(b"nobody points at me").digest

    # The object server's LastModified dates the orphan: just written, it is kept.
    young = collect_garbage(s3_store, delete=True)
    assert (young.young_kept, list(young.orphans)) == (1, [])
    old = collect_garbage(s3_store, delete=True, now=lambda: time.time() + 25 * 3600)
    assert list(old.orphans) == [orphan] and old.deleted
    assert object_keys(s3, s3_uri) == [s3_store.objects.path_for(kept).removeprefix("s3://")]
    assert main(["verify"]) == 0  # every record still resolves
