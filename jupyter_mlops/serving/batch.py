"""Batch scoring: a Parquet or CSV file in, its rows with predictions out, chunk by chunk.

Memory stays bounded by about one chunk (``chunk_rows`` rows) whatever the file's size:
rows are read, checked against the model's signature, predicted and appended to the output
one chunk at a time, and nothing of a chunk outlives its turn.

Where the memory goes, and why the code is shaped so (measured with ``tracemalloc`` and
Arrow's pool, ``benchmarks/bench_serving.py``): Parquet is read one column at a time (a
reader of every column at once holds each column's dictionary page and buffers together,
1.3x a chunk on top of the rows); the chunk becomes a DataFrame without a copy (one block per
column over Arrow's buffers); and the model is asked about slices of the chunk, since most
models copy their input into one array of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.models import Predictor
from jupyter_mlops.serving.signature import PayloadError, conform

PREDICTION = "prediction"
#: The model sees at most this share of a chunk at once (its own copy of the rows).
SLICES = 8
#: ... but never slices smaller than this many rows (a call costs more than its rows then).
MIN_SLICE = 4096


@dataclass(frozen=True)
class Scored:
    """What a batch scoring wrote."""

    rows: int
    chunks: int


def read_chunks(path: Path, chunk_rows: int) -> Iterator[pa.Table]:
    """The rows of a Parquet or CSV file as Arrow tables of at most ``chunk_rows`` rows.

    Raises:
        MlopsUsageError: a file that is neither Parquet nor CSV.
    """
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        # No pre-buffering and no threads: both read ahead, several chunks' worth at once.
        with pq.ParquetFile(path, pre_buffer=False) as source:
            yield from _parquet_chunks(source, chunk_rows)
    elif suffix == ".csv":
        with pd.read_csv(path, chunksize=chunk_rows) as reader:
            for frame in reader:
                yield pa.Table.from_pandas(frame, preserve_index=False)
    else:
        raise MlopsUsageError(f"Cannot read {path.name}: give a .parquet or .csv file.")


def _parquet_chunks(
    source: pq.ParquetFile, chunk_rows: int, groups: list[int] | None = None
) -> Iterator[pa.Table]:
    """Runs of whole row groups of at most ``chunk_rows`` rows, read a column at a time;
    a row group larger than a chunk is streamed in batches of ``chunk_rows``."""
    meta = source.metadata
    run: list[int] = []
    run_rows = 0
    for group in range(meta.num_row_groups) if groups is None else groups:
        rows = meta.row_group(group).num_rows
        if run and run_rows + rows > chunk_rows:
            yield _read_columns(source, run)
            run, run_rows = [], 0
        if rows > chunk_rows:
            # Every column's reader is open at once here: bounded by the group's pages
            # and dictionaries, not by the group's rows.
            for batch in source.iter_batches(
                batch_size=chunk_rows, row_groups=[group], use_threads=False
            ):
                yield pa.Table.from_batches([batch])
            continue
        run.append(group)
        run_rows += rows
    if run:
        yield _read_columns(source, run)


def row_group_chunks(path: Path, groups: list[int], chunk_rows: int) -> Iterator[pa.Table]:
    """The rows of row groups ``groups`` of Parquet file ``path``, in chunks (a partition)."""
    with pq.ParquetFile(path, pre_buffer=False) as source:
        yield from _parquet_chunks(source, chunk_rows, groups)


def _read_columns(source: pq.ParquetFile, groups: list[int]) -> pa.Table:
    schema = source.schema_arrow
    columns = [
        source.read_row_groups(groups, columns=[name], use_threads=False).column(0)
        for name in schema.names
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def predict_chunk(predictor: Predictor, table: pa.Table, first_row: int) -> np.ndarray:
    """The model's predictions for one chunk, checked against its signature first.

    Raises:
        MlopsUsageError: rows that do not fit the signature (naming the chunk's rows).
    """
    # One block per column over Arrow's buffers: no copy of the rows.
    frame = table.to_pandas(split_blocks=True)
    try:
        checked = conform(frame, predictor.signature)
    except PayloadError as exc:
        raise MlopsUsageError(f"Rows {first_row}-{first_row + len(frame) - 1}: {exc}") from None
    del frame
    n = len(checked)
    step = max(MIN_SLICE, -(-n // SLICES))
    if step >= n:
        return np.asarray(predictor.predict(checked))
    parts = [np.asarray(predictor.predict(checked.iloc[i : i + step])) for i in range(0, n, step)]
    return np.concatenate(parts)


def _prediction_columns(predictions: np.ndarray, n: int) -> dict[str, np.ndarray]:
    if predictions.ndim == 1:
        return {PREDICTION: predictions}
    flat = predictions.reshape(n, -1)
    return {f"{PREDICTION}_{i}": flat[:, i] for i in range(flat.shape[1])}


def _like(table: pa.Table, schema: pa.Schema, first_row: int) -> pa.Table:
    """``table`` cast to the output's schema (CSV chunks infer their own types)."""
    try:
        return table.select(schema.names).cast(schema)
    except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise MlopsUsageError(
            f"Rows {first_row}-{first_row + len(table) - 1} do not have the types of the rows "
            f"before them ({exc}); give the file with one type per column."
        ) from None


def score_file(predictor: Predictor, source: Path, output: Path, *, chunk_rows: int) -> Scored:
    """Predict every row of ``source`` into ``output`` (its columns plus ``prediction``).

    Raises:
        MlopsUsageError: an unreadable input, an output format other than Parquet or CSV,
            or rows that do not fit the model's signature (naming the chunk's first row).
    """
    if not source.is_file():
        raise MlopsUsageError(f"No input file {source}: give the path of a .parquet or .csv.")
    out_kind = output.suffix.lower()
    if out_kind not in (".parquet", ".pq", ".csv"):
        raise MlopsUsageError(f"Cannot write {output.name}: give a .parquet or .csv output path.")
    scored = write_scored(predictor, read_chunks(source, chunk_rows), output)
    if not scored.rows:
        raise MlopsUsageError(f"{source} has no rows to score.")
    return scored


def write_scored(
    predictor: Predictor, chunks: Iterator[pa.Table], output: Path, *, first_row: int = 1
) -> Scored:
    """Predict each chunk and write it with its predictions to ``output`` (Parquet, or CSV
    by its suffix), which appears whole or not at all; nothing is written for no rows.

    Raises:
        MlopsUsageError: rows that do not fit the model's signature, or a chunk whose
            columns have other types than the first chunk's.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.partial")
    rows = n_chunks = 0
    writer: pq.ParquetWriter | pa_csv.CSVWriter | None = None
    try:
        for table in chunks:
            at = first_row + rows
            predicted = predict_chunk(predictor, table, at)
            for name, values in _prediction_columns(predicted, len(table)).items():
                table = table.append_column(name, pa.array(values))
            del predicted
            if writer is None:
                writer = (
                    pa_csv.CSVWriter(str(tmp), table.schema)
                    if output.suffix.lower() == ".csv"
                    else pq.ParquetWriter(str(tmp), table.schema)
                )
            elif not table.schema.equals(writer.schema):
                table = _like(table, writer.schema, at)
            writer.write_table(table)
            rows += len(table)
            n_chunks += 1
            del table  # else the chunk stays alive while the next one is read
        if writer is not None:
            writer.close()
            writer = None
            tmp.replace(output)  # the output appears whole or not at all
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
    return Scored(rows, n_chunks)
