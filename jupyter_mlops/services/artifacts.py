"""Objects of the artifact store for download: by digest only, never by a filesystem path."""

from __future__ import annotations

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
#: Objects up to this size are read and verified whole before the first byte is sent.
WHOLE = 16 * 1024 * 1024


@dataclass(frozen=True)
class Download:
    """An object ready to send: its size, how to label it, and how to read it."""

    digest: str
    size: int
    media_type: str
    filename: str
    inline: bool

    def open(self, store: Store) -> IO[bytes]:
        """A stream of the object that raises ArtifactIntegrityError if it is corrupt."""
        return store.objects.open(self.digest)


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
    media_type = media_type or "application/octet-stream"
    return Download(
        digest=digest,
        size=store.objects.size(digest),
        media_type=media_type if media_type in INLINE_TYPES else "application/octet-stream",
        filename=name,
        inline=media_type in INLINE_TYPES,
    )


def read_whole(store: Store, download: Download) -> bytes:
    """The whole object, verified against its digest."""
    return store.objects.read_bytes(download.digest)
