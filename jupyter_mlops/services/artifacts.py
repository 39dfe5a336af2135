"""Objects of the artifact store for download: by digest only, never by a filesystem path."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import IO

from jupyter_mlops.artifacts.cas import check_digest
from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.store import Store
from jupyter_mlops.store.objects import first_name

#: Media types a browser may show inline; anything else is sent as a download, because an
#: HTML or SVG artifact shown on the Jupyter origin could run script with the user's session.
INLINE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "text/plain", "text/csv"}
)
#: Objects up to this size are read and verified whole in memory before the first byte is
#: sent; larger ones are verified into a temporary file first (:func:`open_verified`).
WHOLE = 16 * 1024 * 1024
#: What a stored media type must look like to be sent as a header (a type given by hand
#: could hold anything).
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]{0,63}/[A-Za-z0-9][\w.+-]{0,127}")


@dataclass(frozen=True)
class Download:
    """An object ready to send: its size, how to label it, and how to read it."""

    digest: str
    size: int
    media_type: str
    filename: str
    inline: bool


def prepare_download(store: Store, digest: str, *, filename: str | None = None) -> Download:
    """Check ``digest`` and find the object in the store's object store.

    Raises:
        MlopsUsageError: ``digest`` is not 64 lowercase hex characters.
        NotFoundError: the store holds no such object.
    """
    check_digest(digest)
    if not store.objects.exists(digest):
        raise NotFoundError(f"No object {digest} in the artifact store.", digest=digest)
    known, media_type = first_name(store, digest)
    name = (filename or known or digest).replace("\\", "/").rsplit("/", 1)[-1] or digest
    if not media_type or not _MEDIA_TYPE.fullmatch(media_type):
        media_type = "application/octet-stream"
    return Download(
        digest=digest,
        size=store.objects.size(digest),
        # The stored type, so a client knows what it got; anything a browser could run
        # (HTML, SVG, XML, script) goes out as an attachment, never shown inline.
        media_type=media_type,
        filename=name,
        inline=media_type in INLINE_TYPES,
    )


def read_whole(store: Store, download: Download) -> bytes:
    """The whole object, verified against its digest."""
    return store.objects.read_bytes(download.digest)


@dataclass(frozen=True)
class Verified:
    """A private copy of an object that matched its digest: send it, then close it."""

    file: IO[bytes]
    size: int


def open_verified(store: Store, download: Download) -> Verified:
    """A copy of the object that was verified whole before anything of it is sent.

    Raises:
        ArtifactIntegrityError: the object no longer matches its digest.
        ForeignEntryError: a link or other non-file sits at the object's name.
    """
    copy = store.objects.spool(download.digest)
    return Verified(copy, os.fstat(copy.fileno()).st_size)
