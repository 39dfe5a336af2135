"""Batch scoring on a Dask cluster, for data larger than one machine.

The input (a Parquet file, or a directory of them) is cut into parts of whole row groups;
each part is read, scored and written by a worker as ``part-NNNNN.parquet`` of the output
directory, a Parquet dataset whose files in name order hold the input's rows in order. The
model travels to each worker once (scattered, not sent with every part). The input and the
output must be on storage every worker sees; the output appears whole or not at all.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.models import Predictor
from jupyter_mlops.serving.batch import Scored, row_group_chunks, write_scored


@dataclass(frozen=True)
class Part:
    """Row groups of one input file that a worker scores into one output file."""

    index: int
    path: str
    groups: tuple[int, ...]
    first_row: int  # its first row's number in the whole input, for messages
    rows: int

    @property
    def name(self) -> str:
        return f"part-{self.index:05d}.parquet"


def input_files(source: Path) -> list[Path]:
    """The Parquet files of ``source`` (itself, or those under a directory, by name).

    Raises:
        MlopsUsageError: no such path, a CSV, or a directory without Parquet files.
    """
    if source.is_file():
        if source.suffix.lower() not in (".parquet", ".pq"):
            raise MlopsUsageError(
                f"Cannot score {source.name} on Dask: give a .parquet file or a directory of "
                "them (convert a CSV first, or score it without --executor)."
            )
        return [source]
    if source.is_dir():
        files = sorted(
            p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in (".parquet", ".pq")
        )
        if files:
            return files
        raise MlopsUsageError(f"No .parquet files under {source}: give a Parquet dataset.")
    raise MlopsUsageError(f"No input {source}: give a .parquet file or a directory of them.")


def plan(source: Path, part_rows: int) -> list[Part]:
    """Parts of at most ``part_rows`` rows (a larger row group is a part of its own).

    Raises:
        MlopsUsageError: files whose columns differ from the first file's, or no rows.
    """
    files = input_files(source)
    schema = pq.read_schema(files[0])
    parts: list[Part] = []
    row = 1
    for path in files:
        meta = pq.read_metadata(path)
        if not meta.schema.to_arrow_schema().equals(schema, check_metadata=False):
            raise MlopsUsageError(
                f"{path} has other columns or types than {files[0]}: every file of the "
                "dataset needs the same schema."
            )
        run: list[int] = []
        run_rows = 0
        for group in range(meta.num_row_groups):
            rows = meta.row_group(group).num_rows
            if rows == 0:
                continue
            if run and run_rows + rows > part_rows:
                parts.append(Part(len(parts), str(path), tuple(run), row, run_rows))
                row += run_rows
                run, run_rows = [], 0
            run.append(group)
            run_rows += rows
        if run:
            parts.append(Part(len(parts), str(path), tuple(run), row, run_rows))
            row += run_rows
    if not parts:
        raise MlopsUsageError(f"{source} has no rows to score.")
    return parts


def score_part(predictor: Predictor, part: Part, out_dir: str, chunk_rows: int) -> int:
    """On a worker: score one part into ``out_dir``; the rows written."""
    chunks = row_group_chunks(Path(part.path), list(part.groups), chunk_rows)
    out = Path(out_dir) / part.name
    return write_scored(predictor, chunks, out, first_row=part.first_row).rows


def score_on_dask(
    client: Any, predictor: Predictor, source: Path, output: Path, *, chunk_rows: int
) -> Scored:
    """Score ``source`` into the Parquet dataset ``output`` on the cluster of ``client``.

    ``Scored.chunks`` counts the parts (output files).

    Raises:
        MlopsUsageError: a bad input, rows that do not fit the model's signature, or a path
            a worker cannot reach.
    """
    from distributed import as_completed  # an optional dependency: only on this path

    parts = plan(source, chunk_rows)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = output.with_name(f".{output.name}.partial-{uuid.uuid4().hex[:8]}")
    staging.mkdir()
    try:
        model = client.scatter(predictor, broadcast=True, hash=False)
        futures = [
            client.submit(
                score_part,
                model,
                part,
                str(staging),
                chunk_rows,
                pure=False,
                key=f"mlops-score-{part.index}-{uuid.uuid4().hex}",
            )
            for part in parts
        ]
        rows = 0
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                rows += int(future.result())
        except BaseException:
            client.cancel(futures)
            raise
        missing = [p.name for p in parts if not (staging / p.name).is_file()]
        if missing:
            raise FileNotFoundError(2, "written by a worker but not found here", str(staging))
        _put_in_place(staging, output)
    except OSError as exc:
        raise MlopsUsageError(
            f"A worker could not read or write {exc.filename or 'a file'} ({exc.strerror}): "
            "the input and the output must be on storage every worker sees."
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Scored(rows, len(parts))


def _put_in_place(staging: Path, output: Path) -> None:
    """``staging`` becomes ``output``, replacing what was there."""
    if output.is_dir():
        old = output.with_name(f".{output.name}.old-{uuid.uuid4().hex[:8]}")
        output.rename(old)
        staging.rename(output)
        shutil.rmtree(old, ignore_errors=True)
    else:
        output.unlink(missing_ok=True)
        staging.rename(output)
