"""Previews of a run's artifacts and recorded notebook, read on the server.

The browser gets only what it shows: the first rows of a table (a CSV is read up to them,
a Parquet file one batch), a text file's start, an image by its download address. Nothing
here reads a whole large object: each kind has a size above which the preview says so.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

from jupyter_mlops.artifacts.digests import hash_bytes
from jupyter_mlops.errors import MlopsError, NotFoundError
from jupyter_mlops.services.paths import in_root
from jupyter_mlops.services.run_notes import render_markdown
from jupyter_mlops.services.runs import artifact_url
from jupyter_mlops.services.schema import (
    ArtifactPreview,
    NotebookCellPreview,
    NotebookOutputPreview,
    PreviewKind,
    PreviewQuery,
    PreviewTable,
)
from jupyter_mlops.store import Store
from jupyter_mlops.store.pipelines import pipeline_of_run
from jupyter_mlops.store.records import RunRecord
from jupyter_mlops.store.runs import load_run
from jupyter_mlops.tracking.environment import EXECUTED_NOTEBOOK_TAG

#: The largest text, JSON or HTML file read for a preview (its start is shown up to this).
MAX_TEXT = 1024 * 1024
#: The largest notebook rendered, and the largest image the page loads inline.
MAX_NOTEBOOK = 8 * 1024 * 1024
MAX_IMAGE = 16 * 1024 * 1024
#: A Parquet file not on the local disk is copied whole before reading: up to this size.
MAX_REMOTE_PARQUET = 64 * 1024 * 1024
#: A table cell longer than this is cut (a free-text column would flood the page).
MAX_CELL = 200

_IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".webp"}
_TEXT = {".txt", ".log", ".md", ".py", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".sql", ".r"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _kind(path: str, media_type: str) -> PreviewKind:
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in _IMAGES or media_type in ("image/png", "image/jpeg", "image/gif", "image/webp"):
        return "image"
    if suffix in (".html", ".htm") or media_type == "text/html":
        return "html"
    if suffix in (".csv", ".tsv", ".parquet", ".pq") or media_type == "text/csv":
        return "table"
    if suffix == ".json" or media_type == "application/json":
        return "json"
    if suffix == ".ipynb":
        return "notebook"
    if suffix in _TEXT or media_type.startswith("text/"):
        return "text"
    return "none"


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def preview(store: Store, ref: str, query: PreviewQuery) -> ArtifactPreview:
    """What to show inline of artifact ``query.path`` of run ``ref``.

    Raises:
        NotFoundError: no such run, or the run logged no artifact at that path.
    """
    run = load_run(store, ref)
    found = [a for a in run.artifacts if a.path == query.path]
    if not found:
        raise NotFoundError(
            f"Run {run.short_id} has no artifact {query.path!r}.", run_id=run.id, path=query.path
        )
    art = found[0]
    kind = _kind(art.path, art.media_type)
    base = ArtifactPreview(
        run_id=run.id,
        path=art.path,
        kind=kind,
        media_type=art.media_type,
        size=art.size,
        url=artifact_url(art.digest, art.path),
        text=None,
        table=None,
        cells=None,
        truncated=False,
        message=None,
    )
    limit = {"image": MAX_IMAGE, "notebook": MAX_NOTEBOOK}.get(kind, MAX_TEXT)
    if kind == "none":
        suffix = PurePosixPath(art.path).suffix or "such"
        return base.model_copy(update={"message": f"No preview for {suffix} files: download it."})
    if kind in ("image", "notebook", "html") and art.size > limit:
        return base.model_copy(update={"kind": "none", "message": _too_big(art.size, limit)})
    if not store.objects.exists(art.digest):
        return base.model_copy(
            update={"kind": "none", "message": "Its object is missing from the artifact store."}
        )
    try:
        return _fill(store, base, art.digest, kind, query.rows)
    except (OSError, ValueError, MlopsError) as exc:
        # A corrupt or unreadable file is still listed; say why it shows nothing.
        return base.model_copy(
            update={"kind": "none", "message": f"Cannot preview it: {exc}".splitlines()[0]}
        )


def _too_big(size: int, limit: int) -> str:
    return f"Too big to preview ({_mb(size)}; previews show files up to {_mb(limit)}): download it."


def _fill(
    store: Store, base: ArtifactPreview, digest: str, kind: PreviewKind, rows: int
) -> ArtifactPreview:
    if kind == "image":
        return base
    if kind == "table":
        return base.model_copy(update={"table": _table(store, digest, base.path, rows)})
    if kind == "notebook":
        return base.model_copy(update={"cells": notebook_cells(store.objects.read_bytes(digest))})
    data, truncated = _head(store, digest, MAX_TEXT)
    text = data.decode("utf-8", errors="replace")
    if kind == "json" and not truncated:
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    message = f"Showing the first {_mb(MAX_TEXT)} of {_mb(base.size)}." if truncated else None
    if kind == "json" and truncated:
        kind = "text"
    return base.model_copy(
        update={"kind": kind, "text": text, "truncated": truncated, "message": message}
    )


def _head(store: Store, digest: str, limit: int) -> tuple[bytes, bool]:
    with store.objects.open(digest) as fh:
        data = fh.read(limit + 1)
    return data[:limit], len(data) > limit


def _cell(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _table(store: Store, digest: str, path: str, rows: int) -> PreviewTable:
    import pandas as pd

    if PurePosixPath(path).suffix.lower() in (".parquet", ".pq"):
        return _parquet(store, digest, rows)
    sep = "\t" if path.lower().endswith(".tsv") else ","
    with store.objects.open(digest) as fh:
        # Only the first rows are parsed; the rest of the object is never read.
        frame = pd.read_csv(fh, sep=sep, nrows=rows, dtype=str, keep_default_na=False)
    return PreviewTable(
        columns=[str(c) for c in frame.columns],
        rows=[[_cell(v) for v in row] for row in frame.itertuples(index=False)],
        total_rows=None,
    )


@contextlib.contextmanager
def _seekable(store: Store, digest: str) -> Iterator[IO[bytes] | str]:
    local = store.objects.local_file(digest)
    if local is not None:
        yield str(local)
        return
    if store.objects.size(digest) > MAX_REMOTE_PARQUET:
        raise ValueError(f"a remote Parquet file over {_mb(MAX_REMOTE_PARQUET)} is not copied")
    with store.objects.spool(digest) as copy:
        yield copy


def _parquet(store: Store, digest: str, rows: int) -> PreviewTable:
    import pyarrow.parquet as pq

    with _seekable(store, digest) as source:
        parquet = pq.ParquetFile(source)
        total = parquet.metadata.num_rows
        batch = next(parquet.iter_batches(batch_size=rows), None)
        names = list(parquet.schema_arrow.names)
    records = batch.to_pylist() if batch is not None else []
    return PreviewTable(
        columns=names,
        rows=[[_cell(r.get(c)) for c in names] for r in records[:rows]],
        total_rows=total,
    )


def _text_of(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _output(out: dict[str, Any]) -> NotebookOutputPreview | None:
    kind = out.get("output_type")
    if kind == "stream":
        return NotebookOutputPreview(kind="text", text=_text_of(out.get("text")))
    if kind == "error":
        trace = "\n".join(out.get("traceback") or [f"{out.get('ename')}: {out.get('evalue')}"])
        return NotebookOutputPreview(kind="error", text=_ANSI.sub("", trace))
    data = out.get("data") or {}
    for media in ("image/png", "image/jpeg"):
        if media in data:
            payload = _text_of(data[media]).replace("\n", "")
            return NotebookOutputPreview(kind="image", text=f"data:{media};base64,{payload}")
    if "text/html" in data:
        return NotebookOutputPreview(kind="html", text=_text_of(data["text/html"]))
    if "text/plain" in data:
        return NotebookOutputPreview(kind="text", text=_text_of(data["text/plain"]))
    return None


def notebook_cells(data: bytes) -> list[NotebookCellPreview]:
    """The cells of a notebook file with their outputs, markdown cells rendered.

    Raises:
        ValueError: not a notebook (not JSON, or no list of cells).
    """
    document = json.load(io.BytesIO(data))
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        raise ValueError("not a notebook: it has no cells")
    shown: list[NotebookCellPreview] = []
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        kind = str(cell.get("cell_type", "code"))
        source = _text_of(cell.get("source"))
        outputs = [o for o in (_output(x) for x in cell.get("outputs") or []) if o is not None]
        count = cell.get("execution_count")
        shown.append(
            NotebookCellPreview(
                cell_type=kind,
                source=source,
                html=render_markdown(source) if kind == "markdown" else None,
                execution_count=count if isinstance(count, int) else None,
                outputs=outputs,
            )
        )
    return shown


def _executed_file(store: Store, run: RunRecord, root: Path) -> Path | None:
    """The executed notebook of ``run`` inside ``root``: a pipeline step's report, the output
    notebook papermill wrote for it, else the run's own notebook file."""
    found = pipeline_of_run(store, run.id)
    candidates = [
        found[1].output_notebook if found and found[1] else None,
        run.tags.get(EXECUTED_NOTEBOOK_TAG),
        run.notebook_path,
    ]
    for candidate in candidates:
        inside = in_root(root, candidate)
        if inside is not None and (root / inside).is_file():
            return root / inside
    return None


def recorded_notebook(store: Store, ref: str, *, root: Path) -> ArtifactPreview:
    """The notebook run ``ref`` executed, to show read-only: the copy the run stored, else
    the executed notebook in the server's root (a pipeline step's report, or the notebook
    file as it is now, said so when it changed since the run started).

    Raises:
        NotFoundError: no run has that id.
    """
    run = load_run(store, ref)
    path = run.notebook_path or "notebook.ipynb"
    base = ArtifactPreview(
        run_id=run.id,
        path=path,
        kind="none",
        media_type="application/x-ipynb+json",
        size=0,
        url="",
        text=None,
        table=None,
        cells=None,
        truncated=False,
        message=None,
    )
    digest = run.notebook_digest
    data: bytes | None = None
    message = None
    if digest and store.objects.exists(digest):
        size = store.objects.size(digest)
        base = base.model_copy(update={"size": size, "url": artifact_url(digest, path)})
        if size <= MAX_NOTEBOOK:
            data = store.objects.read_bytes(digest)
    else:
        executed = _executed_file(store, run, root)
        if executed is None:
            return base.model_copy(update={"message": "This run kept no copy of its notebook."})
        size = executed.stat().st_size
        base = base.model_copy(update={"path": executed.relative_to(root).as_posix(), "size": size})
        if size <= MAX_NOTEBOOK:
            data = executed.read_bytes()
            if executed.as_posix() == str(run.notebook_path) and digest != hash_bytes(data):
                message = "The notebook file as it is now: it changed since the run started."
    if data is None:
        return base.model_copy(update={"message": _too_big(base.size, MAX_NOTEBOOK)})
    try:
        cells = notebook_cells(data)
    except (OSError, ValueError, MlopsError) as exc:
        return base.model_copy(update={"message": f"Cannot show it: {exc}".splitlines()[0]})
    return base.model_copy(update={"kind": "notebook", "cells": cells, "message": message})
