"""The dataset service: add, get, tag, diff and check out versions in one store.

The module-level functions in :mod:`jupyter_mlops.data` build a :class:`Datasets` for the
current store; tests and services build one with their own seams (the state cache's hasher
and clock, the link mode, the CSV chunking threshold).

Adding is content first, rows last: the digest is computed (or found in the state cache),
the bytes are put into the object store, the table is profiled, and only then is the version
row written, in one transaction. A failure before that leaves at most unreferenced objects,
never a version pointing at missing content.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from jupyter_mlops.artifacts import hash_bytes
from jupyter_mlops.data import records
from jupyter_mlops.data.compare import DataDiff, compare
from jupyter_mlops.data.formats import detect_format, write_parquet
from jupyter_mlops.data.ingest import (
    LinkMode,
    check_link,
    scratch_dir,
    store_file,
    store_owned_file,
)
from jupyter_mlops.data.manifest import Manifest, list_files
from jupyter_mlops.data.materialize import checkout, manifest_of
from jupyter_mlops.data.names import Ref, check_name, check_tag_key, parse_ref
from jupyter_mlops.data.profile import (
    CSV_CHUNK_BYTES,
    TableInfo,
    profile_csv,
    profile_frame,
    profile_parquet,
)
from jupyter_mlops.data.state import FileState, StateCache
from jupyter_mlops.data.version import TABULAR, DatasetVersion
from jupyter_mlops.errors import MlopsUsageError, MlopsWarning
from jupyter_mlops.identity import user_name
from jupyter_mlops.store import Store

_UNREADABLE = (ValueError, UnicodeDecodeError, OSError, pd.errors.ParserError)


def default_name(path: Path) -> str:
    """The dataset name a path gets when none is given: its name without the extension."""
    stem = path.resolve().stem if path.name in ("", ".", "..") else path.stem
    try:
        return check_name(stem)
    except MlopsUsageError:
        raise MlopsUsageError(
            f"Cannot make a dataset name from {path.name!r}; pass one: name='churn'."
        ) from None


def scan_folder(state: StateCache, folder: Path) -> tuple[Manifest, list[FileState]] | None:
    """The manifest of a folder's current files (digests through the state cache), or None
    for a folder without files."""
    files = list_files(folder)
    if not files:
        return None
    states = state.states(path for _, path in files)
    entries = {rel: (s.digest, s.size) for (rel, _), s in zip(files, states, strict=True)}
    return Manifest.build(entries), states


class Datasets:
    """Dataset versions in one store.

    Args:
        store: The store holding the rows and objects.
        state: The file state cache (its hasher is the seam for counting hashes).
        link: How added files reach the object store (see :mod:`jupyter_mlops.data.ingest`).
        csv_chunk_bytes: CSV files larger than this are profiled in chunks.
    """

    def __init__(
        self,
        store: Store,
        *,
        state: StateCache | None = None,
        link: LinkMode = "auto",
        csv_chunk_bytes: int = CSV_CHUNK_BYTES,
    ) -> None:
        self.store = store
        self.state = state or StateCache(store)
        self.link = check_link(link)
        self.csv_chunk_bytes = csv_chunk_bytes

    # -- add -----------------------------------------------------------------
    def add(
        self,
        source: Any,
        name: str | None = None,
        *,
        description: str | None = None,
        link: LinkMode | None = None,
        run_id: str | None = None,
    ) -> DatasetVersion:
        """Version a file, a folder or a DataFrame under ``name``.

        Content identical to the latest version of ``name`` returns that version unchanged
        (no new number, description ignored); other content becomes version N+1.
        """
        if description is not None and not isinstance(description, str):
            kind = type(description).__name__
            raise MlopsUsageError(f"A description must be a string, not {kind}.")
        mode = check_link(link or self.link)
        extra = {"created_by": user_name(), "run_id": run_id}
        if isinstance(source, pd.DataFrame):
            if name is None:
                raise MlopsUsageError(
                    "Give a name when adding a DataFrame: mlops.data.add(df, name='churn')."
                )
            return self._add_frame(source, check_name(name), description, extra)
        if not isinstance(source, str | os.PathLike):
            raise MlopsUsageError(
                f"Cannot add a {type(source).__name__}: give a file or folder path, "
                "or a pandas DataFrame."
            )
        path = Path(source)
        name = check_name(name) if name is not None else default_name(path)
        if not path.exists():
            raise MlopsUsageError(f"No file or folder {str(path)!r} to add; check the path.")
        if path.is_dir():
            return self._add_folder(path, name, description, mode, extra)
        if not path.is_file():
            raise MlopsUsageError(f"{str(path)!r} is neither a regular file nor a folder.")
        return self._add_file(path, name, description, mode, extra)

    def _unchanged(self, name: str, digest: str) -> DatasetVersion | None:
        latest = records.latest_version(self.store, name)
        if latest is not None and latest.digest == digest and self.store.objects.exists(digest):
            return latest
        return None

    def _add_file(
        self, path: Path, name: str, description: str | None, link: LinkMode, extra: dict[str, Any]
    ) -> DatasetVersion:
        state = self.state.state(path)
        unchanged = self._unchanged(name, state.digest)
        if unchanged is not None:
            return unchanged
        fmt = detect_format(path)
        store_file(self.store.objects, state, link=link)
        table = self._table_info(state.digest, fmt, state.path)
        values = self._values(state.digest, state.size, fmt, "file", str(state.path), table)
        return records.insert_version(self.store, name, values | extra, description=description)[0]

    def _add_folder(
        self, path: Path, name: str, description: str | None, link: LinkMode, extra: dict[str, Any]
    ) -> DatasetVersion:
        scanned = scan_folder(self.state, path)
        if scanned is None:
            raise MlopsUsageError(f"Folder {str(path)!r} has no files to version.")
        manifest, states = scanned
        data = manifest.to_bytes()
        digest = hash_bytes(data)
        unchanged = self._unchanged(name, digest)
        if unchanged is not None:
            return unchanged
        for state in states:
            store_file(self.store.objects, state, link=link)
        # The manifest goes in last, so a stored manifest's files are always present.
        self.store.objects.put_bytes(data)
        values = self._values(digest, manifest.size, "folder", "folder", str(path.resolve()), None)
        return records.insert_version(self.store, name, values | extra, description=description)[0]

    def _add_frame(
        self, frame: pd.DataFrame, name: str, description: str | None, extra: dict[str, Any]
    ) -> DatasetVersion:
        tmp = scratch_dir(self.store.objects) / f"{uuid.uuid4().hex}.parquet"
        try:
            schema = write_parquet(frame, tmp)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        info = store_owned_file(self.store.objects, tmp)
        unchanged = self._unchanged(name, info.digest)
        if unchanged is not None:
            return unchanged
        table = self._known_table(info.digest, "parquet")
        if table is None:
            profiled = profile_frame(frame)
            types = {c["name"]: c["type"] for c in schema}
            profile = {
                col: p | {"type": types.get(col, p["type"])} for col, p in profiled.profile.items()
            }
            table = TableInfo(schema, len(frame), profile)
        values = self._values(info.digest, info.size, "parquet", "dataframe", None, table)
        return records.insert_version(self.store, name, values | extra, description=description)[0]

    @staticmethod
    def _values(
        digest: str, size: int, fmt: str, kind: str, source: str | None, table: TableInfo | None
    ) -> dict[str, Any]:
        return {
            "digest": digest,
            "size": size,
            "format": fmt,
            "kind": kind,
            "source_path": source,
            "schema": None if table is None else table.schema,
            "row_count": None if table is None else table.row_count,
            "profile": None if table is None else table.profile,
        }

    def _known_table(self, digest: str, fmt: str) -> TableInfo | None:
        """The profile of the same content in the same format, recorded by an earlier add."""
        for version in records.with_digest(self.store, digest):
            if version.format == fmt and version.schema is not None:
                return TableInfo(version.schema, version.row_count or 0, version.profile or {})
        return None

    def _table_info(self, digest: str, fmt: str, source: Path) -> TableInfo | None:
        if fmt not in TABULAR:
            return None
        known = self._known_table(digest, fmt)
        if known is not None:
            return known
        # Read the stored object (immutable, known digest) rather than the source file.
        path = self.store.objects.local_path(digest) or source
        try:
            if fmt == "parquet":
                return profile_parquet(path)
            sep = "\t" if fmt == "tsv" else ","
            return profile_csv(path, sep=sep, chunk_bytes=self.csv_chunk_bytes)
        except _UNREADABLE as exc:
            warnings.warn(
                f"{source.name} could not be read as {fmt} ({exc}); it was versioned "
                "without schema or profile.",
                MlopsWarning,
                stacklevel=4,
            )
            return None

    # -- read ----------------------------------------------------------------
    def get(self, ref: str | Ref) -> DatasetVersion:
        """The version ``"name@N"``, or the latest for ``"name"``."""
        return records.resolve(self.store, parse_ref(ref))

    def tag(self, ref: str, key: str, value: Any) -> DatasetVersion:
        """Set tag ``key`` to ``value`` on a version and return the tagged version."""
        return self.set_tags(ref, {key: value})

    def set_tags(self, ref: str, tags: Mapping[str, Any]) -> DatasetVersion:
        """Set several tags on a version at once and return the tagged version.

        Raises:
            MlopsUsageError: no tags, or a key that cannot name a tag.
        """
        if not tags:
            raise MlopsUsageError("Give at least one tag to set: KEY=VALUE.")
        checked = {check_tag_key(key): str(value) for key, value in tags.items()}
        version = self.get(ref)
        records.set_tags(self.store, version.id, checked)
        return self.get(Ref(version.name, version.version))

    def diff(self, a: str, b: str) -> DataDiff:
        """Compare two versions: content, rows, schema and column profiles."""
        old, new = self.get(a), self.get(b)
        files = None
        if old.kind == "folder" and new.kind == "folder" and old.digest != new.digest:
            objects = self.store.objects
            files = (manifest_of(objects, old.digest), manifest_of(objects, new.digest))
        return compare(old, new, files)

    def checkout(self, ref: str, dest: str | os.PathLike[str], *, force: bool = False) -> Path:
        """Write a writable, verified copy of a version at ``dest``."""
        return checkout(self.get(ref), dest, force=force)
