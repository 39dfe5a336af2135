"""Settings and errors for artifact stores on object storage (``s3://bucket/prefix``).

Credentials come from the usual AWS chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
``AWS_PROFILE``, an instance role); they are never stored in the project. The endpoint of an
S3-compatible server (MinIO, Ceph, moto…) is ``s3_endpoint_url`` (``MLOPS_S3_ENDPOINT_URL``),
else botocore's own ``AWS_ENDPOINT_URL_S3``/``AWS_ENDPOINT_URL``, else AWS.

Timeouts and retries are bounded so that an unreachable server is an error within seconds,
not a hang.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import IO, Any

from jupyter_mlops.config import Config, load_config
from jupyter_mlops.errors import StoreError

S3_PROTOCOLS = ("s3", "s3a")
#: Part size of multipart uploads, and the memory an upload holds (AWS CLI's default too).
#: S3 allows 10,000 parts, so one object can be up to 80 GB at this size.
S3_BLOCK_SIZE = 8 * 1024 * 1024

_CONNECT_TIMEOUT = 5
_READ_TIMEOUT = 60
_ATTEMPTS = 2


def protocol_of(uri: str) -> str:
    return uri.split("://", 1)[0].lower() if "://" in uri else "file"


def storage_options(uri: str, config: Config | None = None) -> dict[str, Any]:
    """fsspec options for the artifact store at ``uri`` (empty for anything but S3)."""
    if protocol_of(uri) not in S3_PROTOCOLS:
        return {}
    config = config or load_config()
    options: dict[str, Any] = {
        # Another process may add or remove objects at any time: never answer from a listing.
        "use_listings_cache": False,
        "config_kwargs": {
            "connect_timeout": _CONNECT_TIMEOUT,
            "read_timeout": _READ_TIMEOUT,
            "retries": {"total_max_attempts": _ATTEMPTS, "mode": "standard"},
        },
    }
    if config.s3_endpoint_url:
        options["endpoint_url"] = config.s3_endpoint_url
    return options


def is_transport_error(exc: BaseException) -> bool:
    """True for errors of the connection to the server, as opposed to our own errors."""
    module = type(exc).__module__.split(".", 1)[0]
    return isinstance(exc, OSError) or module in ("botocore", "aiobotocore", "aiohttp")


def unreachable(where: str, doing: str, exc: BaseException) -> StoreError:
    """A one-line StoreError for a failed call to the object server."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    hint = "check artifacts_uri, s3_endpoint_url and the credentials (`jupyter-mlops doctor`)"
    if isinstance(exc, FileNotFoundError):
        hint = "does the bucket exist? " + hint
    return StoreError(f"The artifact store {where} failed while {doing}: {text}; {hint}.")


#: S3's limits: parts of at least 5 MiB (but the last), at most 10,000 parts.
_MIN_PART = 5 * 1024 * 1024
_MAX_PARTS = 10_000


def part_size(block_size: int, size_hint: int | None) -> int:
    """The part size for an upload of about ``size_hint`` bytes."""
    size = max(block_size, _MIN_PART)
    if size_hint is not None:
        size = max(size, -(-size_hint // (_MAX_PARTS - 1)))
    return size


def read_full(src: IO[bytes], n: int) -> bytes:
    """Read ``n`` bytes (fewer only at the end of ``src``)."""
    data = src.read(n)
    if len(data) == n or not data:
        return data
    pieces = [data]
    got = len(data)
    while got < n and (more := src.read(n - got)):
        pieces.append(more)
        got += len(more)
    return b"".join(pieces)


def upload(
    fs: Any,
    path: str,
    src: IO[bytes],
    *,
    check: Callable[[Any], None],
    block_size: int,
    size_hint: int | None = None,
) -> int:
    """Upload ``src`` to ``path`` on s3fs ``fs``, hashing it; return the bytes sent.

    ``check(hasher)`` runs once everything is sent and may raise to refuse the content. The
    object appears only when the upload completes (one PUT, or a multipart upload that is
    completed), so a failure or a refusal leaves nothing at ``path``: a started multipart
    upload is aborted. Memory use is one part.
    """
    import blake3  # start-up: a remote upload is rare; the hasher's module loads then

    bucket, key, _ = fs.split_path(path)
    h = blake3.blake3(max_threads=blake3.blake3.AUTO)
    size = part_size(block_size, size_hint)
    first = read_full(src, size)
    h.update(first)
    if len(first) < size:  # the whole content: one PUT
        check(h)
        fs.call_s3("put_object", Bucket=bucket, Key=key, Body=first)
        return len(first)
    upload_id = fs.call_s3("create_multipart_upload", Bucket=bucket, Key=key)["UploadId"]
    try:
        parts: list[dict[str, Any]] = []
        sent = 0
        chunk, first = first, b""
        while chunk:
            number = len(parts) + 1
            answer = fs.call_s3(
                "upload_part",
                Bucket=bucket,
                Key=key,
                PartNumber=number,
                UploadId=upload_id,
                Body=chunk,
            )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})
            sent += len(chunk)
            del chunk  # let the part go before reading the next one
            chunk = read_full(src, size)
            h.update(chunk)
        check(h)
        fs.call_s3(
            "complete_multipart_upload",
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
        )
    except BaseException:
        with suppress(Exception):  # the server may be gone; the upload then expires there
            fs.call_s3("abort_multipart_upload", Bucket=bucket, Key=key, UploadId=upload_id)
        raise
    return sent
