"""Capture files read with pandas readers in a tracked cell, as run inputs with their digest.

``pd.read_csv``, ``read_parquet``, ``read_json`` and ``read_excel`` (and names bound to them in
the notebook) record a ``role="input"`` input:

* a local path (``str`` / ``os.PathLike`` / ``file://`` URL, or an open file with a real
  ``name``): ``kind="file"``, the file's BLAKE3 digest (a folder, such as a partitioned parquet
  dataset, digests its files' names and digests), its size, and ``source`` relative to the
  working directory when inside it, else absolute. Digests are cached per process by
  (path, size, mtime), so re-reading an unchanged file does not hash it again;
* a URL: ``kind="url"``, the URL as source and the fingerprint of the frame read (nothing is
  downloaded twice);
* another buffer: ``kind="buffer"`` and the fingerprint of the frame read.

``info`` holds the reader, the number of rows and the column names of the frame read.

The bytes of a local file read are kept in the content-addressed store too (once per
digest), so the run can be reproduced from its record: ``info["stored"]`` says whether they
were (a folder lists its files' digests in ``info["files"]``). A file larger than the
``capture_max_file_bytes`` setting is only fingerprinted, and the run is tagged
``mlops.reproducible_record = false`` with the reason.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import blake3

from jupyter_mlops.artifacts.cas import hash_file
from jupyter_mlops.tracking.capture import patching
from jupyter_mlops.tracking.capture.datasets import link_read
from jupyter_mlops.tracking.capture.fingerprint import MAX_COLUMNS, fingerprint

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Hook, Session

#: reader -> name of its first parameter
READERS = {
    "read_csv": "filepath_or_buffer",
    "read_parquet": "path",
    "read_json": "path_or_buf",
    "read_excel": "io",
}
MAX_CACHED = 4096
#: Default of the ``capture_max_file_bytes`` setting.
MAX_FILE_BYTES = 100_000_000
#: Tag set on a run whose data cannot all be restored from the store.
UNRESTORABLE_TAG = "mlops.reproducible_record"

_digests: dict[tuple[str, int, int], str] = {}


def file_digest(path: str) -> tuple[str, int]:
    """BLAKE3 digest and size of a local file or folder, cached by (path, size, mtime)."""
    if os.path.isdir(path):
        h = blake3.blake3()
        total = 0
        for file in sorted(p for p in Path(path).rglob("*") if p.is_file()):
            part, size = file_digest(str(file))
            h.update(f"{file.relative_to(path).as_posix()}\x00{part}\n".encode())
            total += size
        return str(h.hexdigest()), total
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns)
    digest = _digests.get(key)
    if digest is None:
        if len(_digests) >= MAX_CACHED:
            _digests.clear()
        digest = _digests[key] = hash_file(path)
    return digest, st.st_size


def display_path(path: str) -> str:
    """``path`` relative to the working directory when inside it, else absolute (POSIX)."""
    absolute = Path(path).resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return absolute.as_posix()


def _local_path(src: Any) -> str | None:
    if isinstance(src, os.PathLike):
        src = os.fspath(src)
    elif not isinstance(src, str):
        src = getattr(src, "name", None)  # an open file
    if not isinstance(src, str):
        return None
    if src.startswith("file://"):
        src = src[len("file://") :]
    elif "://" in src:
        return None
    return src if os.path.exists(src) else None


def _summary(reader: str, result: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"reader": reader}
    columns = getattr(result, "columns", None)
    if columns is not None and hasattr(result, "shape"):
        info["rows"] = int(result.shape[0])
        names = [str(c) for c in columns]
        info["columns"] = names[:MAX_COLUMNS]
        if len(names) > MAX_COLUMNS:
            info["n_columns"] = len(names)
    elif isinstance(result, dict):  # read_excel(sheet_name=None)
        info["sheets"] = [str(k) for k in result]
    return info


def _reader_hook(reader: str, first: str) -> Hook:
    def record_read(
        session: Session, owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any
    ) -> None:
        src = args[0] if args else kwargs.get(first)
        info = _summary(reader, result)
        path = _local_path(src)
        if path is not None:
            digest, size = file_digest(path)
            if ("input", digest) not in session.state.inputs:
                # A store that cannot take the bytes must not lose the input's record.
                session.guard(f"the bytes of {path}", _keep_bytes, session, path, size, info)
            _log(session, "file", display_path(path), digest, size, info)
            link_read(session, path, digest, result)
            return
        fp = fingerprint(result)
        if fp is None:
            return  # an iterator (chunksize=...) or several sheets: nothing cheap to digest
        if isinstance(src, str) and "://" in src:
            _log(session, "url", src, fp.digest, None, info)
        else:
            _log(session, "buffer", f"<{type(src).__name__}>", fp.digest, None, info)

    return record_read


def _keep_bytes(session: Session, path: str, size: int, info: dict[str, Any]) -> None:
    """Store the bytes of the file (or folder) read, unless over the size limit."""
    limit = session.setting("capture_max_file_bytes", MAX_FILE_BYTES)
    if size > limit:
        info["stored"] = False
        session.run.set_tag(
            UNRESTORABLE_TAG,
            f"false: {display_path(path)} is {size} bytes, above capture_max_file_bytes "
            f"({limit}); only its digest was recorded",
        )
        return
    objects = session.run.store.objects
    if os.path.isdir(path):
        files: dict[str, str] = {}
        for file in sorted(p for p in Path(path).rglob("*") if p.is_file()):
            part, _ = file_digest(str(file))
            objects.put_file(file, digest=part)
            files[file.relative_to(path).as_posix()] = part
        info["files"] = files
    else:
        digest, _ = file_digest(path)
        objects.put_file(path, digest=digest)
    info["stored"] = True


def _log(
    session: Session, kind: str, source: str, digest: str, size: int | None, info: dict[str, Any]
) -> None:
    key = ("input", digest)
    if key in session.state.inputs:
        return
    session.state.inputs.add(key)
    session.run.log_input(
        role="input", kind=kind, source=source, digest=digest, size=size, info=info
    )


_HOOKS = {reader: _reader_hook(reader, first) for reader, first in READERS.items()}


class PandasReadersPatcher:
    """Record files read with pandas readers."""

    def start(self, session: Session) -> None:
        pd = sys.modules.get("pandas")
        if pd is None:
            return
        entries: list[patching.PatchEntry] = []
        namespace = vars(pd)
        for reader, hook in _HOOKS.items():
            current = namespace.get(reader)
            if current is None:
                continue
            original = patching.original_of(current)
            wrapper = patching.wrap_function(original, hook)
            entries.append(patching.entry(pd, reader, original, wrapper))
            session.aliases[id(original)] = (original, wrapper)
        session.patches.attrs(entries)

    def stop(self, session: Session) -> None:
        """Nothing to finish; the session undoes the patches."""
